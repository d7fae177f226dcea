"""Outbox: every email queued, sent, retrying, failed or cancelled, newest first, filtered by
state and by recipient or subject; a page at a time read in SQL. Enter opens the email
(outbox_email.py), where it is resent or cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from babel.dates import format_date
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.admin.context import AdminContext
from screens.admin.filtered_list import FilteredListScreen
from screens.admin.paged_table import Cell, PagedTable, TablePage
from services.clock import zone
from services.console.outbox import STATES, OutboxQuery, OutboxRow

COLUMNS = (("When", 15), ("To", 17), ("Subject", 17), ("State", 11), ("Attempts", 8))
STATE_STYLES = {
    "queued": "",
    "sending": "cyan",
    "sent": "green",
    "retrying": "yellow",
    "failed": "bold red",
    "cancelled": "dim",
    "unconfirmed": "bold yellow",
}


def state_text(state: str) -> Text:
    """An email's state as the owner reads it, coloured ("unconfirmed": it may have gone)."""
    word = STATES.get(state, "Unconfirmed")
    return Text(word if state != "all" else "", style=STATE_STYLES.get(state, ""))


class OutboxScreen(FilteredListScreen):
    """Every email of the mail log, newest first; says what it shows ("1–50 of 812 emails")."""

    section = "outbox"
    settings_id = "outbox-settings"
    BINDINGS = [
        Binding("slash", "search", "To or subject"),
        Binding("t", "state", "State"),
        Binding("escape", "leave_search", "To the list", show=False),
    ]

    def __init__(self, ctx: AdminContext, ask: OutboxQuery | None = None) -> None:
        super().__init__(ctx, ask or OutboxQuery())
        self._away = False  # an email was opened over the list

    def body(self) -> ComposeResult:
        with Horizontal(id="outbox-bar"):
            yield Input(
                self.ask.recipient, placeholder="Recipient, client or subject  (/)", id="text"
            )
        yield Static(self.settings(), id="outbox-settings", markup=False)
        yield PagedTable(COLUMNS, self._page, noun="emails", id="outbox")

    def settings(self) -> str:
        return f"{STATES[self.ask.state]} (t) · newest first · Enter opens an email"

    def _page(self, offset: int, limit: int) -> TablePage:
        ctx = self.ctx
        page = ctx.door.outbox.page(self.ask, offset, limit)
        rows = [(str(row.id), self._cells(row)) for row in page.rows]
        return TablePage(rows, page.offset, page.total, note=f"as of {ctx.clock(page.as_of)}")

    def _cells(self, row: OutboxRow) -> list[Cell]:
        ctx = self.ctx
        day = row.created_at.replace(tzinfo=UTC).astimezone(zone(ctx.timezone)).date()
        when = f"{format_date(day, 'MMM d', locale=ctx.fmt.locale)} {ctx.clock(row.created_at)}"
        tries = Text(str(row.tries), justify="right")
        return [when, row.to, row.subject, state_text(row.state), tries]

    # -- filters -------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#text", Input).focus()

    def asked(self) -> OutboxQuery:
        return replace(self.ask, recipient=self.box("text"))

    def action_state(self) -> None:
        keys = list(STATES)
        self.ask = replace(self.ask, state=keys[(keys.index(self.ask.state) + 1) % len(keys)])
        self.reload_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "state") and isinstance(self.focused, Input):
            return False  # the letters go into the box
        return True

    @on(PagedTable.Selected, "#outbox")
    def _open(self, event: PagedTable.Selected) -> None:
        from screens.admin.outbox_email import OutboxEmailScreen

        self._away = True
        self.app.push_screen(OutboxEmailScreen(self.ctx, int(event.key)))

    def on_screen_resume(self) -> None:
        """Back from an email: it may have been resent or cancelled, read the page again."""
        if self._away:
            self._away = False
            self.query_one(PagedTable).reload()
