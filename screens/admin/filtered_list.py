"""A console list with filter boxes above its PagedTable: the filter runs TYPING_DELAY after
the last key, or at Enter (which goes back to the list); a bad date is said in the settings
line instead of filtering."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual import on
from textual.timer import Timer
from textual.widgets import Input, Static

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.admin.paged_table import PagedTable

TYPING_DELAY = 0.3  # seconds after the last key before the filter runs
DATE_HINT = "write dates as 2026-03-16"


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD day, None for nothing typed; ValueError otherwise."""
    text = text.strip()
    return date.fromisoformat(text) if text else None


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


class FilteredListScreen(AdminScreen):
    """Subclasses set `settings_id`, keep their query in `ask`, and say what the boxes ask
    (`asked`, ValueError for a bad date) and what the settings line reads (`settings`)."""

    settings_id = ""

    def __init__(self, ctx: AdminContext, ask: Any) -> None:
        super().__init__(ctx)
        self.ask = ask
        self.problem = ""
        self._typing: Timer | None = None

    def settings(self) -> str:
        return ""

    def asked(self) -> Any:
        return self.ask

    def on_mount(self) -> None:
        self.query_one(PagedTable).table.focus()

    def show_settings(self) -> None:
        line = self.settings()
        line = f"{line} · {self.problem}" if self.problem else line
        self.query_one(f"#{self.settings_id}", Static).update(line)

    def reload_list(self) -> None:
        self.show_settings()
        self.query_one(PagedTable).reload(0)

    def action_leave_search(self) -> None:
        self.query_one(PagedTable).table.focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_DELAY, self._filter_now)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._filter_now()
        self.action_leave_search()

    def _filter_now(self) -> None:
        try:
            ask = self.asked()
        except ValueError:
            self.problem = DATE_HINT
            self.show_settings()
            return
        self.problem = ""
        if ask == self.ask:
            self.show_settings()
            return
        self.ask = ask
        self.reload_list()

    def box(self, name: str) -> str:
        """What is typed in the box with this id."""
        return self.query_one(f"#{name}", Input).value
