"""Recurring invoices: every schedule with its next date, amount, auto-bill mode and the
client's own choice; filtered and sorted in SQL, a page at a time. Enter opens the editor."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from screens.admin.base import AdminScreen
from screens.admin.events import NewRecurring, OpenRecurring
from screens.admin.paged_table import BracketPagedTable, Cell, PagedTable, TablePage, money_cell
from services.console.recurring_list import FILTERS, SORTS, RecurringQuery, RecurringRow

COLUMNS = (
    ("Client", 14),
    ("Description", 16),
    ("Every", 9),
    ("Next", 12),
    ("Amount", 10),
    ("Mode", 6),
    ("Client", 6),
    ("Status", 9),
)
# Narrower: no frequency and no status column (a plan with no next date says its status
# there instead), the free text cut with "…".
NARROW = (
    (0, "Client", 13),
    (1, "Description", 14),
    (8, "Next", 12),
    (4, "Amount", 10),
    (5, "Mode", 6),
    (6, "Client", 6),
)
SHORT = {
    "Weekly": "week",
    "Every 2 weeks": "2 weeks",
    "Every 4 weeks": "4 weeks",
    "Monthly": "month",
    "Every 2 months": "2 months",
    "Every 3 months": "3 months",
    "Every 6 months": "6 months",
    "Yearly": "year",
}


def choice_cell(row: RecurringRow) -> Text:
    """What the client chose: on / off, or "—" where the mode does not let them choose;
    bold where the mode overrides it (they chose otherwise than they are billed)."""
    if row.client_choice is None:
        return Text("—", style="dim")
    return Text("on" if row.client_choice else "off")


class RecurringScreen(AdminScreen):
    """Every recurring invoice; says what it shows ("1–50 of 2,310 recurring, as of 14:02")."""

    section = "recurring"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("f", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
    ]

    def __init__(self, ctx, ask: RecurringQuery | None = None) -> None:
        super().__init__(ctx)
        self.ask = ask or RecurringQuery()

    def body(self) -> ComposeResult:
        yield Static(self._settings(), id="recurring-settings", markup=False)
        yield BracketPagedTable(
            COLUMNS, self._page, noun="recurring invoices", id="recurring", narrow=NARROW
        )

    def on_mount(self) -> None:
        self.query_one(PagedTable).table.focus()

    def on_screen_resume(self) -> None:
        self.query_one(PagedTable).reload()  # the editor may have changed a row

    def _settings(self) -> str:
        arrow = "↓" if self.ask.descending else "↑"
        by = "next date" if self.ask.sort == "next" else "client"
        return f"{FILTERS[self.ask.filter_by]} · by {by} {arrow} · f filter · s sort"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.recurring.page(self.ask, offset, limit)
        rows: list[tuple[str, list[Cell]]] = [
            (
                str(row.id),
                [
                    row.client_name,
                    row.description,
                    SHORT.get(row.frequency, row.frequency),
                    ctx.fmt.date(row.next_date) if row.next_date else "—",
                    money_cell(ctx.fmt.money(row.amount)),
                    row.mode,
                    choice_cell(row),
                    Text(row.status, style="" if row.status == "active" else "dim"),
                    ctx.fmt.date(row.next_date) if row.next_date else Text(row.status, "dim"),
                ],
            )
            for row in page.rows
        ]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    def _reload(self) -> None:
        self.query_one("#recurring-settings", Static).update(self._settings())
        self.query_one(PagedTable).reload(0)

    def action_filter(self) -> None:
        keys = list(FILTERS)
        nxt = keys[(keys.index(self.ask.filter_by) + 1) % len(keys)]
        self.ask = RecurringQuery(self.ask.search, nxt, self.ask.sort, self.ask.descending)
        self._reload()

    def action_sort(self) -> None:
        order = [(key, desc) for key in SORTS for desc in (False, True)]
        at = order.index((self.ask.sort, self.ask.descending))
        sort, descending = order[(at + 1) % len(order)]
        self.ask = RecurringQuery(self.ask.search, self.ask.filter_by, sort, descending)
        self._reload()

    def action_new(self) -> None:
        self.post_message(NewRecurring())

    @on(PagedTable.Selected, "#recurring")
    def _open(self, event: PagedTable.Selected) -> None:
        self.post_message(OpenRecurring(int(event.key)))
