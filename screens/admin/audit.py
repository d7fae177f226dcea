"""Audit log: the whole trail newest first, filtered by date range, client, action, who and
kind (money, access, changes); a page at a time read in SQL. Enter opens an entry whole, its
changes' values before and after side by side (audit_entry.py)."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.admin.context import AdminContext
from screens.admin.filtered_list import FilteredListScreen, iso, parse_day
from screens.admin.paged_table import PagedTable, TablePage
from services.console.audit_log import KINDS, AuditQuery

COLUMNS = (("When", 24), ("Who", 14), ("What", 19), ("About", None))


class AuditScreen(FilteredListScreen):
    """Every audit row, newest first; says what it shows ("1–50 of 100,000 entries, as of …")."""

    section = "audit"
    settings_id = "audit-settings"
    BINDINGS = [
        Binding("slash", "box('client')", "Client"),
        Binding("a", "box('action')", "Action"),
        Binding("w", "box('who')", "Who"),
        Binding("d", "box('since')", "Dates"),
        Binding("t", "kind", "Kind"),
        Binding("escape", "leave_search", "To the list", show=False),
    ]

    def __init__(self, ctx: AdminContext, ask: AuditQuery | None = None) -> None:
        super().__init__(ctx, ask or AuditQuery())

    def body(self) -> ComposeResult:
        ask = self.ask
        with Horizontal(id="audit-bar"):
            yield Input(iso(ask.since), placeholder="from (d)", id="since")
            yield Input(iso(ask.until), placeholder="until", id="until")
            yield Input(ask.client, placeholder="Client (/)", id="client")
            yield Input(ask.action, placeholder="Action (a)", id="action")
            yield Input(ask.who, placeholder="Who (w)", id="who")
        yield Static(self.settings(), id="audit-settings", markup=False)
        yield PagedTable(COLUMNS, self._page, noun="entries", id="audit")

    def settings(self) -> str:
        return f"{KINDS[self.ask.kind][0]} · newest first · Enter shows an entry whole"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.audit_log(self.ask, offset, limit)
        rows = [(str(e.id), [ctx.stamp(e.at), e.actor, e.action, e.subject]) for e in page.rows]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    # -- filters -------------------------------------------------------------------------

    def action_box(self, name: str) -> None:
        self.query_one(f"#{name}", Input).focus()

    def asked(self) -> AuditQuery:
        since, until = parse_day(self.box("since")), parse_day(self.box("until"))
        typed = {name: self.box(name) for name in ("client", "action", "who")}
        return replace(self.ask, since=since, until=until, **typed)

    def action_kind(self) -> None:
        keys = list(KINDS)
        self.ask = replace(self.ask, kind=keys[(keys.index(self.ask.kind) + 1) % len(keys)])
        self.reload_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("box", "kind") and isinstance(self.focused, Input):
            return False  # the letters go into the box
        return True

    @on(PagedTable.Selected, "#audit")
    def _open(self, event: PagedTable.Selected) -> None:
        from screens.admin.audit_entry import AuditEntryScreen

        self.app.push_screen(AuditEntryScreen(self.ctx, int(event.key)))
