"""'I have an invoice code': type the code from a [View Invoice] email."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.kiosk.base import WorkerErrors
from screens.kiosk.events import CodeOpened
from screens.kiosk.formats_lookup import formats_for
from screens.widgets.formats import Formats
from screens.widgets.too_small import TooSmall
from services.doors.kiosk import CodeDesk, KioskLobby

BAD_CODE = "That code is not valid or has expired. Check the email, or sign in instead."


def open_code(lobby: KioskLobby, code: str) -> tuple[CodeDesk, Formats] | str:
    """Verify a code and find its formats (worker side): (desk, fmt), or why it was refused
    (wrong or expired, or too many wrong codes from this address: how long to wait)."""
    desk = lobby.open_code(code)
    if desk is None:
        return lobby.code_throttled() or BAD_CODE
    return desk, formats_for(desk)


class CodeEntryDialog(WorkerErrors, ModalScreen[None]):
    """Takes an invoice code; a valid one opens that invoice (CodeOpened goes to the app)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    @dataclass
    class Invalid(Message):
        message: str

    @dataclass
    class Valid(Message):
        desk: CodeDesk
        fmt: Formats

    def __init__(self, lobby: KioskLobby) -> None:
        super().__init__()
        self.lobby = lobby
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Open an invoice with its code", classes="dialog-title")
            yield Static(
                "The invoice email has a [View Invoice] button and a code such as "
                "abcd-efgh-… . Type or paste the code here.",
                markup=False,
                classes="dialog-body",
            )
            yield Input(placeholder="invoice code", id="code")
            yield Static("", id="code-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open invoice", id="open", variant="primary")
                yield Button("Cancel", id="cancel")
        yield TooSmall()

    @on(Input.Submitted)
    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        if not code or self.busy:
            return
        self.busy = True
        self._verify(code)

    @work(thread=True, exit_on_error=False, group="code")
    def _verify(self, code: str) -> None:
        opened = open_code(self.lobby, code)
        if isinstance(opened, str):
            self.post_message(self.Invalid(opened))
        else:
            self.post_message(self.Valid(*opened))

    @on(Valid)
    def _valid(self, event: Valid) -> None:
        self.dismiss()
        self.app.post_message(CodeOpened(event.desk, event.fmt))

    @on(Invalid)
    def _invalid(self, event: Invalid) -> None:
        self.busy = False
        self.query_one("#code-error", Static).update(event.message)
        self.query_one("#code", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss()
