"""Login: email, password, "Recover Your Password" under the password box, or an invoice code."""

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
from screens.kiosk.events import SignedIn
from screens.kiosk.formats_lookup import formats_for
from services.accounts.identity import LoginError
from services.doors.kiosk import KioskLobby


class LoginScreen(KioskScreen[None]):
    """The first page a client sees: sign in, recover a password, or use an invoice code."""

    STEP = 0
    BINDINGS = [
        Binding("enter", "sign_in", "Sign in", show=True, priority=False),
        Binding("ctrl+r", "recover", "Recover password"),
        Binding("ctrl+o", "code", "I have an invoice code"),
    ]

    busy: reactive[bool] = reactive(False, bindings=True)

    @dataclass
    class Failed(Message):
        message: str

    def __init__(self, lobby: KioskLobby, *, notice: str = "") -> None:
        super().__init__()
        self.lobby = lobby
        self.notice = notice

    def compose_body(self) -> ComposeResult:
        with Center():
            yield Static("paydesk · pay your invoices", id="login-banner", markup=False)
            with Vertical(id="login-box", classes="card"):
                yield Static("Sign in", classes="title")
                yield Label("Email")
                yield Input(placeholder="you@example.com", id="email")
                yield Label("Password")
                yield Input(password=True, id="password")
                yield Button("Recover Your Password", id="recover", classes="link", compact=True)
                with Horizontal(classes="buttons"):
                    yield Button("Sign in", id="sign-in", variant="primary")
                    with Vertical(id="code-side"):
                        yield Static("Have an invoice email?", markup=False, classes="hint")
                        yield Button(
                            "I have an invoice code", id="have-code", classes="link", compact=True
                        )
                yield Static(self.notice, id="login-notice", markup=False)
                yield Static("", id="login-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()
        self.query_one("#login-notice").display = bool(self.notice)
        self.query_one("#login-error").display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_in" and self.busy:
            return None
        return True

    @on(Input.Submitted, "#email")
    def _email_done(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#sign-in")
    def action_sign_in(self) -> None:
        if self.busy:
            return
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not email or not password:
            self._show_error("Enter your email and your password.")
            self.query_one("#email" if not email else "#password", Input).focus()
            return
        self.busy = True
        self.query_one("#sign-in", Button).disabled = True
        self._show_error("")
        self._sign_in(email, password)

    @work(thread=True, exit_on_error=False, group="login")
    def _sign_in(self, email: str, password: str) -> None:
        try:
            desk = self.lobby.login(email, password)
        except LoginError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        except Exception:  # noqa: BLE001 - the client sees one calm line; the log has the rest
            self.log.error("login failed")
            self.post_message(self.Failed("Signing in is not possible right now; try again."))
            raise
        self.post_message(SignedIn(desk, formats_for(desk)))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.busy = False
        self.query_one("#sign-in", Button).disabled = False
        self._show_error(event.message)
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    def _show_error(self, message: str) -> None:
        error = self.query_one("#login-error", Static)
        error.update(message)
        error.display = bool(message)
        if message:
            self.query_one("#login-notice", Static).display = False

    @on(Button.Pressed, "#recover")
    def action_recover(self) -> None:
        from screens.kiosk.recover import RecoverScreen

        email = self.query_one("#email", Input).value.strip()
        self.app.push_screen(RecoverScreen(self.lobby, email=email), self._recovered)

    def _recovered(self, notice: str | None) -> None:
        if notice:
            self._show_error("")
            self.query_one("#login-notice", Static).update(notice)
            self.query_one("#login-notice", Static).display = True
            self.query_one("#password", Input).value = ""
            self.query_one("#password", Input).focus()

    @on(Button.Pressed, "#have-code")
    def action_code(self) -> None:
        from screens.kiosk.code_entry import CodeEntryDialog

        self.app.push_screen(CodeEntryDialog(self.lobby))
