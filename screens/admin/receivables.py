"""Receivables: what clients owed at the end of any day gone by, by age past the due date
(current, 1–30, 31–60, 61–90, 90+ days), in total and per client a page at a time, sorted.
The day is stated plainly and the owner changes it in the box (a bad or future day is
refused and said). Enter opens the client's statements; `e` exports the aging of the day
shown."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.admin.events import OpenStatement
from screens.admin.export_dialog import ExportDialog
from screens.admin.paged_table import Cell, PagedTable, TablePage, money_cell
from screens.widgets.literal import join
from services.console.aging import LABELS, SORTS, AgingRow, AgingTotals
from services.dates import format_day

SORT_WORDS = {"owed": "most owed first", "oldest": "longest overdue first", "name": "by name"}
WIDE = 100  # columns from which the table has room for longer names and padded cells


def asked_day(text: str, today: date) -> date:
    """The day typed in the box: ValueError with the words to show if it is not a day gone
    by or today."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date: write it as {today.isoformat()}") from None
    if day > today:
        raise ValueError(f"{day.isoformat()} is in the future: the aging is of today or before")
    return day


class ReceivablesScreen(AdminScreen):
    """The aging as of a day: totals by bucket and a page of clients; Enter: statements."""

    section = "receivables"
    BINDINGS = [
        Binding("d", "day", "Date"),
        Binding("s", "sort", "Sort"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "to_list", "To the list", show=False),
    ]

    def __init__(self, ctx: AdminContext, day: date | None = None) -> None:
        super().__init__(ctx)
        self.day = day
        self.sort = SORTS[0]
        self.problem = ""
        self.typed: str | None = None  # a day typed in the box, checked with the next page

    def body(self) -> ComposeResult:
        wide = self.app.size.width >= WIDE
        name, amount = (20, 10) if wide else (12, 11)
        columns = [("Client", name), ("Owed", amount)]
        columns += [(label.capitalize(), amount) for label in LABELS]
        with Horizontal(id="receivables-bar"):
            yield Input(self.day.isoformat() if self.day else "", placeholder="day (d)",
                        id="as-of")  # fmt: skip
            yield Static("Loading…", id="receivables-title", markup=False)
        with Horizontal(id="receivables-buckets"):
            for n, label in enumerate(["Owed", *LABELS]):
                yield Static(label.capitalize(), id=f"bucket-{n}", classes="bucket")
        yield PagedTable(columns, self._page, noun="clients owing", id="receivables")
        self._narrow = not wide

    def on_mount(self) -> None:
        table = self.query_one(PagedTable).table
        if self._narrow:
            table.cell_padding = 0  # six amounts and a name in 80 columns
        table.focus()

    # -- the figures ---------------------------------------------------------------------

    def _page(self, offset: int, limit: int) -> TablePage:
        door = self.ctx.door.statements
        today = door.today()
        if self.typed is not None:  # checked here, off the UI thread: today reads the zone
            typed, self.typed = self.typed, None
            try:
                self.day, self.problem = asked_day(typed, today), ""
            except ValueError as exc:
                self.problem = str(exc)
        if self.day is None:
            self.day = today
        page = door.aging(self.day, offset, limit, self.sort)
        self.app.call_from_thread(self._show_totals, page.totals)
        rows = [(str(row.client_id), self._cells(row)) for row in page.rows]
        return TablePage(rows, page.offset, page.totals.clients, note=SORT_WORDS[self.sort])

    def _cells(self, row: AgingRow) -> list[Cell]:
        money = self.ctx.fmt.money
        return [row.name, money_cell(money(row.owed)), *(
            money_cell(money(v) if v else "–", "red" if v and i >= 3 else "")
            for i, v in enumerate(row.buckets))]  # fmt: skip

    def _show_totals(self, totals: AgingTotals) -> None:
        fmt = self.ctx.fmt
        day = format_day(totals.as_of, fmt.locale)
        self.query_one("#as-of", Input).value = totals.as_of.isoformat()  # a refused day: back
        said = self.problem or (
            f"owed at the end of that day by {totals.clients:,} clients"
            f" on {totals.open_count:,} open invoices"
        )
        self.query_one("#receivables-title", Static).update(
            join((f"As of {day}", "bold"), "\n", (said, "red" if self.problem else "dim"))
        )
        amounts = [totals.owed, *totals.buckets]
        for n, (label, amount) in enumerate(zip(["Owed", *LABELS], amounts, strict=True)):
            self.query_one(f"#bucket-{n}", Static).update(
                join((label.capitalize(), "dim"), "\n", (fmt.money(amount), "bold"))
            )

    # -- the day, the sort ---------------------------------------------------------------

    def action_day(self) -> None:
        self.query_one("#as-of", Input).focus()

    def action_to_list(self) -> None:
        self.query_one(PagedTable).table.focus()

    @on(Input.Submitted, "#as-of")
    def _day_given(self, event: Input.Submitted) -> None:
        self.typed = event.value
        self.query_one(PagedTable).reload(0)
        self.action_to_list()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.query_one(PagedTable).reload(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("day", "sort", "export") and isinstance(self.focused, Input):
            return False  # the letters go into the box
        return True

    def action_export(self) -> None:
        if self.day is None:
            return
        shown = f"As of {format_day(self.day, self.ctx.fmt.locale)} ({self.day.isoformat()})"
        self.app.push_screen(ExportDialog(self.ctx, "aging", None, shown, as_of=self.day))

    @on(PagedTable.Selected, "#receivables")
    def _open(self, event: PagedTable.Selected) -> None:
        self.post_message(OpenStatement(int(event.key), self.day))
