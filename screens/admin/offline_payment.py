"""Record a payment received outside Stripe: the method (check, bank transfer), the amount
(the balance by default; less is a partial payment) and the payer's reference."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from screens.widgets.formats import Formats
from services.invoices.views import InvoiceDetail
from services.money import Money
from services.payments.offline import METHODS


@dataclass(frozen=True)
class OfflinePayment:
    amount: int
    method: str
    reference: str


class OfflinePaymentDialog(ModalScreen[OfflinePayment | None]):
    """Asks what was received; dismisses with it, or None."""

    DEFAULT_CSS = """
    OfflinePaymentDialog { align: center middle; }
    OfflinePaymentDialog > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $primary; padding: 0 1;
        background: $surface;
    }
    OfflinePaymentDialog .title { text-style: bold; margin: 0 0 1 0; }
    OfflinePaymentDialog Horizontal { height: auto; }
    OfflinePaymentDialog Label { width: 11; padding: 1 0; }
    OfflinePaymentDialog Input, OfflinePaymentDialog Select { width: 1fr; }
    OfflinePaymentDialog #offline-problem { color: $error; height: auto; }
    OfflinePaymentDialog #offline-buttons Button { margin: 0 1 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, invoice: InvoiceDetail, fmt: Formats) -> None:
        super().__init__()
        self.invoice, self.fmt = invoice, fmt

    def compose(self) -> ComposeResult:
        inv = self.invoice
        balance = Money(inv.balance, inv.currency).to_decimal()
        with Vertical():
            yield Static(
                f"Payment received for {inv.number} · {inv.client.name} · "
                f"{self.fmt.money(inv.balance)} owed",
                classes="title",
                markup=False,
            )
            with Horizontal():
                yield Label("Method")
                options = [(label, key) for key, label in METHODS.items()]
                yield Select(options, value="check", allow_blank=False, id="method")
            with Horizontal():
                yield Label("Amount")
                yield Input(f"{balance:f}", id="amount")
            with Horizontal():
                yield Label("Reference")
                yield Input(placeholder="check number, transfer reference", id="reference")
            yield Static("", id="offline-problem", markup=False)
            with Horizontal(id="offline-buttons"):
                yield Button("Record payment", id="record", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    def _amount(self) -> tuple[int, str]:
        text = self.query_one("#amount", Input).value
        inv = self.invoice
        try:
            amount = Money.parse(text or "0", inv.currency).amount
        except (ValueError, ArithmeticError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else f"{text!r} is not an amount"
            return 0, reason
        if amount <= 0:
            return 0, "the amount received must be more than 0"
        if amount > inv.balance:
            owed = self.fmt.money(inv.balance)
            return 0, f"{self.fmt.money(amount)} is more than the {owed} {inv.number} still owes"
        return amount, ""

    @on(Input.Changed, "#amount")
    def _typed(self) -> None:
        _, problem = self._amount()
        self.query_one("#amount", Input).set_class(bool(problem), "-invalid")
        self.query_one("#offline-problem", Static).update(problem)

    @on(Input.Submitted)
    @on(Button.Pressed, "#record")
    def _record(self) -> None:
        amount, problem = self._amount()
        if problem:
            self.query_one("#offline-problem", Static).update(problem)
            return
        method = self.query_one("#method", Select).value
        reference = self.query_one("#reference", Input).value
        self.dismiss(OfflinePayment(amount, str(method), reference))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
