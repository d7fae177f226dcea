"""Revenue: payments received per month for the last 12 months, net of refunds, as a bar
chart with each month's figure beside its bar, and per client (a page at a time, the most
first, each with its twelve months as a sparkline). Enter opens the client.

The chart is drawn here with block characters (screens/admin/month_bars.py) rather than
with a plotting library. textual-plotext pins an old plotext, and plotext draws through
module-level state shared by every chart in the process — the console runs one app per SSH
session in the same server, so two owners' charts could mix. Textual's own `Sparkline` has
no labels or figures, so it cannot say which month a bar is or what it amounts to. Twelve
labelled bars in eighth blocks read at 80×24, carry their numbers on the same line, need no
new dependency and render the same text every time (snapshots compare it exactly).
"""

from __future__ import annotations

from babel.dates import format_date
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from screens.admin.base import AdminScreen
from screens.admin.events import OpenClient
from screens.admin.month_bars import Bar, MonthBars, sparkline
from screens.admin.paged_table import Cell, PagedTable, TablePage, money_cell
from screens.widgets.literal import join
from services.console.revenue import Revenue

CLIENT_COLUMNS = (("Client", 16), ("12 months", 12), ("Net", 11))


class RevenueScreen(AdminScreen):
    """Twelve months of payments received, less refunds, in total and per client."""

    section = "revenue"
    BINDINGS = [Binding("r", "refresh", "Refresh")]

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="revenue-title", markup=False)
        with Horizontal(id="revenue-main"):
            with Vertical(id="revenue-months"):
                yield MonthBars(id="revenue-chart")
                yield Static("", id="revenue-total", markup=False)
            yield PagedTable(CLIENT_COLUMNS, self._clients, noun="clients", id="revenue-clients")

    def on_mount(self) -> None:
        self.query_one(PagedTable).table.focus()
        self._load()

    def action_refresh(self) -> None:
        self._load()
        self.query_one(PagedTable).reload(0)

    @work(thread=True, exit_on_error=False, group="revenue")
    def _load(self) -> None:
        figures = self.ctx.door.revenue()
        self.app.call_from_thread(self._show, figures)

    def _month(self, first) -> str:
        return format_date(first, "MMM y", locale=self.ctx.fmt.locale)

    def _show(self, figures: Revenue) -> None:
        fmt, months = self.ctx.fmt, figures.months
        span = f"{self._month(months[0].first)} – {self._month(months[-1].first)}"
        self.query_one("#revenue-title", Static).update(
            join(
                ("Received per month, net of refunds", "bold"),
                f" · {span}\nA refund is taken off the month it was made in.",
            )
        )
        bars = [Bar(m.first, m.net) for m in months]
        self.query_one(MonthBars).show(bars, self._month, fmt.money)
        count = sum(m.count for m in months)
        self.query_one("#revenue-total", Static).update(
            join(
                ("12 months ", "bold"),
                (fmt.money(figures.net), "bold green" if figures.net >= 0 else "bold red"),
                f"\nreceived {fmt.money(figures.received)}",
                f"\nrefunded {fmt.money(figures.refunded)}",
                f"\n{count:,} payments",
            )
        )

    def _clients(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.revenue_clients(offset, limit)
        rows: list[tuple[str, list[Cell]]] = [
            (
                str(row.id),
                [
                    row.name,
                    Text(sparkline(row.months), style="green"),
                    money_cell(ctx.fmt.money(row.net), "red" if row.net < 0 else ""),
                ],
            )
            for row in page.rows
        ]
        return TablePage(rows, page.offset, page.total)

    @on(PagedTable.Selected, "#revenue-clients")
    def _open(self, event: PagedTable.Selected) -> None:
        self.post_message(OpenClient(int(event.key)))
