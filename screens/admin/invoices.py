"""Invoices: every invoice of the business, searched by number or client, filtered by status
(overdue too), sorted; a page at a time read in SQL. Enter opens the invoice; `n` a new one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.admin.events import OpenInvoice
from screens.admin.export_dialog import ExportDialog
from screens.admin.paged_table import BracketPagedTable, Cell, PagedTable, TablePage, money_cell
from screens.admin.search_bar import SearchBar
from services.console.invoice_list import FILTERS, OVERDUE, SORTS, InvoiceQuery

COLUMNS = (
    ("Number", 11),
    ("Client", 14),
    ("Status", 7),
    ("Due", 12),
    ("Total", 11),
    ("Balance", 11),
)
STATUS_STYLES = {OVERDUE: "bold red", "paid": "green", "void": "dim", "draft": "italic"}
STATUS_WORDS = {"partial": "partly paid"}  # as the kiosk, the page and the PDF say it


class InvoiceTable(BracketPagedTable):
    """The invoices, a page at a time."""


class InvoicesScreen(AdminScreen):
    """Every invoice; says what it shows ("1–50 of 100,000 invoices, as of 2:02 PM")."""

    section = "invoices"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("slash", "search", "Search"),
        Binding("f", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "leave_search", "To the list", show=False),
    ]

    def __init__(self, ctx: AdminContext, ask: InvoiceQuery | None = None) -> None:
        super().__init__(ctx)
        self.ask = ask or InvoiceQuery()
        self._resumed = False

    def body(self) -> ComposeResult:
        yield SearchBar(self.ask.search, "Search number or client  (/)", self._settings())
        yield InvoiceTable(COLUMNS, self._page, noun="invoices", id="invoices")

    def on_mount(self) -> None:
        self.query_one(InvoiceTable).table.focus()

    def _settings(self) -> str:
        arrow = "↓" if self.ask.descending else "↑"
        return f"{FILTERS[self.ask.filter_by]} · by {self.ask.sort} {arrow}"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.invoices.page(self.ask, offset, limit)
        rows: list[tuple[str, list[Cell]]] = [
            (
                str(row.id),
                [
                    row.number,
                    row.client,
                    Text(
                        STATUS_WORDS.get(row.status, row.status),
                        style=STATUS_STYLES.get(row.status, ""),
                    ),
                    ctx.fmt.date(row.due_date),
                    money_cell(ctx.fmt.money(row.total)),
                    money_cell(ctx.fmt.money(row.balance) if row.balance else "—"),
                ],
            )
            for row in page.rows
        ]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    def _ask(self, **changes: object) -> None:
        values = {
            "search": self.ask.search,
            "filter_by": self.ask.filter_by,
            "sort": self.ask.sort,
            "descending": self.ask.descending,
            **changes,
        }
        self.ask = InvoiceQuery(**values)  # type: ignore[arg-type]
        self.query_one(SearchBar).settings(self._settings())
        self.query_one(InvoiceTable).reload(0)

    def reload(self) -> None:
        """Read the page shown again (an invoice changed)."""
        self.query_one(InvoiceTable).reload()

    def on_screen_resume(self) -> None:
        if self._resumed:  # back from the editor: what it did shows in the list
            self.reload()
        self._resumed = True

    # -- search, filter, sort ----------------------------------------------------------------

    def action_new(self) -> None:
        self.post_message(OpenInvoice(None))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(InvoiceTable).table.focus()

    @on(SearchBar.Searched)
    def _searched(self, event: SearchBar.Searched) -> None:
        if event.value != self.ask.search:
            self._ask(search=event.value)
        if event.done:
            self.action_leave_search()

    def action_filter(self) -> None:
        keys = list(FILTERS)
        self._ask(filter_by=keys[(keys.index(self.ask.filter_by) + 1) % len(keys)])

    def action_sort(self) -> None:
        """Number ↓, number ↑, client ↓, … : each column both ways in turn."""
        order = [(key, desc) for key in SORTS for desc in (True, False)]
        at = order.index((self.ask.sort, self.ask.descending))
        sort, descending = order[(at + 1) % len(order)]
        self._ask(sort=sort, descending=descending)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "filter", "sort", "export") and isinstance(self.focused, Input):
            return False  # the letters go into the search box
        return True

    def action_export(self) -> None:
        search = self.ask.search.strip()
        shown = FILTERS[self.ask.filter_by] + (f" · search: {search}" if search else "")
        self.app.push_screen(ExportDialog(self.ctx, "invoices", self.ask, shown))

    @on(PagedTable.Selected, "#invoices")
    def _open(self, event: PagedTable.Selected) -> None:
        self.post_message(OpenInvoice(int(event.key)))
