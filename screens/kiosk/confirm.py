"""A yes/no question with the consequences spelled out."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.widgets.too_small import TooSmall


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something with consequences; dismisses True for yes."""

    BINDINGS = [Binding("escape", "no", "Cancel")]

    def __init__(self, title: str, body: str, yes: str, no: str = "Cancel") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, markup=False, classes="dialog-title")
            yield Static(self.body, markup=False, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="primary")
                yield Button(self.no, id="no")
        yield TooSmall()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
