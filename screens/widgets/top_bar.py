"""The top bar on every signed-in kiosk screen: Dashboard · Invoices · … · Log out."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

# (target, label, key): the key letter is underlined in the label and bound on the screen.
NAV_ITEMS = (
    ("dashboard", "Dashboard", "d"),
    ("invoices", "Invoices", "i"),
    ("recurring", "Recurring Invoices", "r"),
    ("cards", "Cards", "c"),
    ("help", "Help", "h"),
    ("logout", "Log out", "l"),
)


def _label(text: str, key: str) -> Content:
    index = text.lower().index(key)
    return Content.assemble(text[:index], (text[index], "underline"), text[index + 1 :])


class TopBar(Horizontal):
    """Navigation buttons; the current page is highlighted. Posts TopBar.Navigate."""

    DEFAULT_CSS = """
    TopBar {
        height: 1;
        width: 100%;
        background: $primary-background;
    }
    TopBar Button {
        margin: 0 1 0 0;
        min-width: 0;
    }
    TopBar Button.-current {
        text-style: bold reverse;
    }
    TopBar #nav-logout {
        dock: right;
    }
    """

    @dataclass
    class Navigate(Message):
        """The client asked for another page."""

        target: str

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        for target, text, key in NAV_ITEMS:
            button = Button(_label(text, key), id=f"nav-{target}", compact=True)
            button.can_focus = False
            if target == self.current:
                button.add_class("-current")
            yield button

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.post_message(self.Navigate(event.button.id.removeprefix("nav-")))
