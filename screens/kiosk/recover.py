"""Recover password: ask for the email, then take the emailed code and a new password twice."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Label, Static

from screens.kiosk.base import KioskScreen
from services.accounts.identity import ResetError
from services.doors.kiosk import KioskLobby

SENT = "If that address has an account, a code is on its way. Enter it below."
HAVE_CODE = "Enter the code from your email (an invitation's too) and choose a password."


class RecoverScreen(KioskScreen[str | None]):
    """Two steps: request a code by email; then code + new password (twice)."""

    BINDINGS = [Binding("escape", "back", "Back to sign in")]

    busy: reactive[bool] = reactive(False, bindings=True)

    @dataclass
    class CodeRequested(Message):
        pass

    @dataclass
    class ResetDone(Message):
        pass

    @dataclass
    class Failed(Message):
        message: str
        field: str = ""

    def __init__(self, lobby: KioskLobby, *, email: str = "") -> None:
        super().__init__()
        self.lobby = lobby
        self.email = email

    def compose_body(self) -> ComposeResult:
        with Center():
            with Vertical(id="recover-box", classes="card"):
                yield Static("Recover your password", classes="title")
                with Vertical(id="step-email"):
                    yield Static(
                        "Enter the email address you sign in with. We will email you a code.",
                        markup=False,
                    )
                    yield Label("Email")
                    yield Input(self.email, placeholder="you@example.com", id="recover-email")
                    with Horizontal(classes="buttons"):
                        yield Button(
                            "Email me a code", id="send-code", variant="primary", compact=True
                        )
                        yield Button("I have a code", id="have-code", compact=True)
                        yield Button("Back to sign in", id="back", compact=True)
                with Vertical(id="step-code"):
                    yield Static(SENT, id="sent", markup=False)
                    yield Label("Code from the email")
                    yield Input(id="code")
                    yield Label("New password (at least 8 characters)")
                    yield Input(password=True, id="new-password")
                    yield Label("New password again")
                    yield Input(password=True, id="new-password-2")
                    with Horizontal(classes="buttons"):
                        yield Button(
                            "Set new password", id="reset", variant="primary", compact=True
                        )
                        yield Button("Back to sign in", id="back-2", compact=True)
                yield Static("", id="recover-error", classes="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#step-code").display = False
        self.query_one("#recover-email", Input).focus()

    def action_back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#back, #back-2")
    def _back(self) -> None:
        self.dismiss()

    @on(Input.Submitted, "#recover-email")
    @on(Button.Pressed, "#send-code")
    def _send(self) -> None:
        email = self.query_one("#recover-email", Input).value.strip()
        if "@" not in email:
            self._error("Enter the email address you sign in with.")
            return
        if self.busy:
            return
        self.busy = True
        self.email = email
        self._request(email)

    @work(thread=True, exit_on_error=False, group="recover")
    def _request(self, email: str) -> None:
        self.lobby.request_reset(email)
        self.post_message(self.CodeRequested())

    @on(Button.Pressed, "#have-code")
    def _have_code(self) -> None:
        """A code already emailed (an invitation, or an earlier request): straight to it."""
        email = self.query_one("#recover-email", Input).value.strip()
        if "@" not in email:
            self._error("Enter the email address the code was sent to.")
            return
        self.email = email
        self.query_one("#sent", Static).update(HAVE_CODE)
        self._code_requested()

    @on(CodeRequested)
    def _code_requested(self) -> None:
        self.busy = False
        self._error("")
        self.query_one("#step-email").display = False
        self.query_one("#step-code").display = True
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def _code_entered(self) -> None:
        self.query_one("#new-password", Input).focus()

    @on(Input.Submitted, "#new-password")
    def _first_entered(self) -> None:
        self.query_one("#new-password-2", Input).focus()

    @on(Input.Submitted, "#new-password-2")
    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        first = self.query_one("#new-password", Input).value
        second = self.query_one("#new-password-2", Input).value
        if not code:
            self._error("Enter the code from the email.", "#code")
            return
        if first != second:
            self._error("The two new passwords are different; type them again.", "#new-password")
            self.query_one("#new-password", Input).value = ""
            self.query_one("#new-password-2", Input).value = ""
            return
        problem = self.lobby.check_password_policy(first)
        if problem:
            self._error(problem, "#new-password")
            return
        if self.busy:
            return
        self.busy = True
        self._do_reset(self.email, code, first)

    @work(thread=True, exit_on_error=False, group="recover")
    def _do_reset(self, email: str, code: str, password: str) -> None:
        try:
            self.lobby.reset_password(email, code, password)
        except ResetError as exc:
            self.post_message(self.Failed(str(exc), "#code"))
            return
        self.post_message(self.ResetDone())

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.busy = False
        self._error(event.message, event.field)

    @on(ResetDone)
    def _done(self) -> None:
        self.busy = False
        self.dismiss("Your password was changed. Sign in with your new password.")

    def _error(self, message: str, focus: str = "") -> None:
        self.query_one("#recover-error", Static).update(message)
        if focus:
            self.query_one(focus, Input).focus()
