"""Invoice by code: the one invoice a [View Invoice] code opens, with Pay Now. Nothing else."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.kiosk.context import CodeDesk, KioskContext
from screens.kiosk.events import SignOutRequested
from screens.kiosk.invoice_detail import InvoiceDetailScreen


class CodeInvoiceScreen(InvoiceDetailScreen[CodeDesk]):
    """What a client holding an invoice code sees. The top bar and its keys are not there."""

    BINDINGS = [Binding("ctrl+l", "login", "Log in to see all your invoices")]

    def __init__(self, ctx: KioskContext[CodeDesk]) -> None:
        super().__init__(ctx, ctx.desk.invoice_id)

    def compose_header(self) -> ComposeResult:
        with Horizontal(id="code-bar"):
            yield Static("Invoice opened with a code from your email", id="code-bar-text")
            yield Button("Log in to see all your invoices", id="login", compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("nav", "back"):
            return False
        return super().check_action(action, parameters)

    def action_nav(self, target: str) -> None:
        return  # a code opens one invoice; nothing else is reachable

    def action_back(self) -> None:
        return

    @on(Button.Pressed, "#login")
    def action_login(self) -> None:
        self.post_message(SignOutRequested())
