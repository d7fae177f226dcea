"""Payments: filter by date range, client, method and status, sort; a page at a time read in
SQL. Enter opens the payment's detail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.admin.context import AdminContext
from screens.admin.export_dialog import ExportDialog
from screens.admin.filtered_list import FilteredListScreen, iso, parse_day
from screens.admin.paged_table import Cell, PagedTable, TablePage, money_cell
from services.clock import zone
from services.console.payment_list import (
    METHODS,
    SORTS,
    STATUS_WORDS,
    STATUSES,
    PaymentListRow,
    PaymentQuery,
)
from services.dates import format_day

COLUMNS = (
    ("Date", 12),
    ("Reference", 12),
    ("Client", 14),
    ("Amount", 11),
    ("Method", 9),
    ("Status", 13),
)


class PaymentsScreen(FilteredListScreen):
    """Every payment, newest first; says what it shows ("1–50 of 100,000 payments, as of …")."""

    section = "payments"
    BINDINGS = [
        Binding("slash", "search", "Client"),
        Binding("d", "dates", "Dates"),
        Binding("m", "method", "Method"),
        Binding("t", "status", "Status"),
        Binding("s", "sort", "Sort"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "leave_search", "To the list", show=False),
    ]

    settings_id = "payments-settings"

    def __init__(self, ctx: AdminContext, ask: PaymentQuery | None = None) -> None:
        super().__init__(ctx, ask or PaymentQuery())

    def body(self) -> ComposeResult:
        ask = self.ask
        with Horizontal(id="payments-bar"):
            yield Input(iso(ask.since), placeholder="from (d)", id="since")
            yield Input(iso(ask.until), placeholder="until", id="until")
            yield Input(ask.client, placeholder="Client name or email  (/)", id="client")
        yield Static(self.settings(), id="payments-settings", markup=False)
        yield PagedTable(COLUMNS, self._page, noun="payments", id="payments")

    def settings(self) -> str:
        ask = self.ask
        arrow = "↓" if ask.descending else "↑"
        return f"{METHODS[ask.method]} · {STATUSES[ask.status]} · by {ask.sort} {arrow}"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.payments.page(self.ask, offset, limit)
        rows = [(str(row.id), self._cells(row)) for row in page.rows]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    def _cells(self, row: PaymentListRow) -> list[Cell]:
        ctx = self.ctx
        local_day = local_day_of(row.at, ctx.timezone)
        method = f"•••• {row.card[-4:]}" if row.card else "offline"
        return [
            format_day(local_day, ctx.fmt.locale),
            row.reference,
            row.client,
            money_cell(ctx.fmt.money(row.amount)),
            method,
            STATUS_WORDS[row.status],
        ]

    # -- filters and sort ----------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#client", Input).focus()

    def action_dates(self) -> None:
        self.query_one("#since", Input).focus()

    def asked(self) -> PaymentQuery:
        since, until = parse_day(self.box("since")), parse_day(self.box("until"))
        return replace(self.ask, since=since, until=until, client=self.box("client"))

    def action_method(self) -> None:
        self.ask = replace(self.ask, method=_next(list(METHODS), self.ask.method))
        self.reload_list()

    def action_status(self) -> None:
        self.ask = replace(self.ask, status=_next(list(STATUSES), self.ask.status))
        self.reload_list()

    def action_sort(self) -> None:
        """Date ↓, date ↑, amount ↓, … : each column both ways in turn."""
        order = [(key, desc) for key in SORTS for desc in (True, False)]
        at = order.index((self.ask.sort, self.ask.descending))
        sort, descending = order[(at + 1) % len(order)]
        self.ask = replace(self.ask, sort=sort, descending=descending)
        self.reload_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("dates", "method", "status", "sort", "export") and isinstance(
            self.focused, Input
        ):
            return False  # the letters go into the box
        return True

    def action_export(self) -> None:
        ask = self.ask
        shown = f"{METHODS[ask.method]} · {STATUSES[ask.status]}"
        if ask.since or ask.until:
            shown += f" · {iso(ask.since) or '…'} to {iso(ask.until) or '…'} (both included)"
        if ask.client.strip():
            shown += f" · client: {ask.client.strip()}"
        self.app.push_screen(ExportDialog(self.ctx, "payments", ask, shown))

    @on(PagedTable.Selected, "#payments")
    def _open(self, event: PagedTable.Selected) -> None:
        from screens.admin.payment_detail import PaymentDetailScreen

        self.app.push_screen(PaymentDetailScreen(self.ctx, int(event.key)))


def local_day_of(at: datetime, tz_name: str) -> date:
    """The business's day of a UTC instant (naive values are UTC)."""
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(zone(tz_name)).date()


def _next(keys: list[str], current: str) -> str:
    return keys[(keys.index(current) + 1) % len(keys)]
