"""Clients: search by name or email, filter (all, owing, overdue), sort; a page at a time
read in SQL. Enter opens the client's detail; a adds a client."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Input, Static

from screens.admin.base import AdminScreen
from screens.admin.client_forms import client_form
from screens.admin.events import OpenClient
from screens.admin.export_dialog import ExportDialog
from screens.admin.paged_table import Cell, PagedTable, TablePage, money_cell
from services.clients.clients import ClientView
from services.console.client_list import FILTERS, SORTS, ClientQuery

COLUMNS = (
    ("Name", 18),
    ("Email", 17),
    ("Owed", 11),
    ("Overdue", 11),
    ("Auto", 4),
    ("Card", 4),
)
SEARCH_DELAY = 0.3  # seconds after the last key before the search runs


class ClientsScreen(AdminScreen):
    """Every client, searchable; says what it shows ("1–50 of 12,408 clients, as of 14:02")."""

    section = "clients"
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("f", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("a", "add", "Add client"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "leave_search", "To the list", show=False),
    ]

    def __init__(self, ctx, ask: ClientQuery | None = None) -> None:
        super().__init__(ctx)
        self.ask = ask or ClientQuery()
        self._typing: Timer | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="clients-bar"):
            yield Input(value=self.ask.search, placeholder="Search name or email  (/)", id="search")
            yield Static(self._settings(), id="clients-settings", markup=False)
        yield PagedTable(COLUMNS, self._page, noun="clients", id="clients")

    def on_mount(self) -> None:
        self.query_one(PagedTable).table.focus()

    def _settings(self) -> str:
        arrow = "↓" if self.ask.descending else "↑"
        return f"{FILTERS[self.ask.filter_by]} · by {self.ask.sort} {arrow}"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.clients(self.ask, offset, limit)
        rows: list[tuple[str, list[Cell]]] = [
            (
                str(row.id),
                [
                    row.name,
                    row.email,
                    money_cell(ctx.fmt.money(row.owed) if row.owed else "—"),
                    money_cell(
                        ctx.fmt.money(row.overdue) if row.overdue else "—",
                        "bold red" if row.overdue else "",
                    ),
                    row.autobill,
                    "yes" if row.has_card else "no",
                ],
            )
            for row in page.rows
        ]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    def _reload(self) -> None:
        self.query_one("#clients-settings", Static).update(self._settings())
        self.query_one(PagedTable).reload(0)

    # -- search, filter, sort ----------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(PagedTable).table.focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(SEARCH_DELAY, self._search_now)

    @on(Input.Submitted, "#search")
    def _submitted(self) -> None:
        self._search_now()
        self.action_leave_search()

    def _search_now(self) -> None:
        value = self.query_one("#search", Input).value
        if value != self.ask.search:
            self.ask = ClientQuery(value, self.ask.filter_by, self.ask.sort, self.ask.descending)
            self._reload()

    def action_filter(self) -> None:
        keys = list(FILTERS)
        nxt = keys[(keys.index(self.ask.filter_by) + 1) % len(keys)]
        self.ask = ClientQuery(self.ask.search, nxt, self.ask.sort, self.ask.descending)
        self._reload()

    def action_sort(self) -> None:
        """Name ↑, name ↓, email ↑, … : each column both ways in turn."""
        order = [(key, desc) for key in SORTS for desc in (False, True)]
        at = order.index((self.ask.sort, self.ask.descending))
        sort, descending = order[(at + 1) % len(order)]
        self.ask = ClientQuery(self.ask.search, self.ask.filter_by, sort, descending)
        self._reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "sort", "add", "export") and isinstance(self.focused, Input):
            return False  # the letters go into the search box
        return True

    def action_export(self) -> None:
        search = self.ask.search.strip()
        shown = FILTERS[self.ask.filter_by] + (f" · search: {search}" if search else "")
        self.app.push_screen(ExportDialog(self.ctx, "clients", self.ask, shown))

    def action_add(self) -> None:
        self.app.push_screen(client_form(self.ctx.door.client_edits), self._added)

    def _added(self, client: ClientView | None) -> None:
        if client is not None:
            self._reload()
            self.post_message(OpenClient(client.id))

    @on(PagedTable.Selected, "#clients")
    def _open(self, event: PagedTable.Selected) -> None:
        self.post_message(OpenClient(int(event.key)))
