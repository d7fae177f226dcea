"""A list's search box and the line that says its filter and order: the search runs once
typing stops (or on Enter), by posting `SearchBar.Searched`."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

SEARCH_DELAY = 0.3  # seconds after the last key before the search runs


class SearchBar(Horizontal):
    """The search Input (#search) and the settings line beside it."""

    DEFAULT_CSS = """
    SearchBar { height: 3; }
    SearchBar > Input { width: 1fr; }
    SearchBar > .search-settings { width: auto; padding: 1 1; color: $text-muted; }
    """

    @dataclass
    class Searched(Message):
        """The owner searched for `value` (Enter, or typing stopped); `done`: by Enter."""

        value: str
        done: bool

    def __init__(self, value: str, placeholder: str, settings: str, id: str | None = None):
        super().__init__(id=id)
        self._value, self._placeholder, self._settings = value, placeholder, settings
        self._typing: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(value=self._value, placeholder=self._placeholder, id="search")
        yield Static(self._settings, classes="search-settings", markup=False)

    def settings(self, text: str) -> None:
        self.query_one(".search-settings", Static).update(text)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(SEARCH_DELAY, lambda: self._searched(done=False))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._searched(done=True)

    def _searched(self, done: bool) -> None:
        if self._typing is not None:
            self._typing.stop()
        self.post_message(self.Searched(self.query_one(Input).value, done))
