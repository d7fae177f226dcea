"""Confirm → paying (cannot be submitted twice) → receipt or decline, in one dialog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from screens.kiosk.action_link import ActionLinkView
from screens.kiosk.base import WorkerErrors
from screens.kiosk.context import ClientDesk, Desk, KioskContext
from screens.widgets.literal import join, lit
from screens.widgets.too_small import TooSmall
from services.doors.kiosk import NotYours
from services.invoices.views import InvoiceDetail, InvoiceSummary
from services.payments.cards import CardView
from services.payments.declines import advice_for
from services.payments.payments import PaymentError
from services.payments.settle import AttemptStatus, PaymentResult


@dataclass(frozen=True)
class PayOutcome:
    """What the dialog hands back: the service's PaymentResult (or None) and the new balance."""

    result: PaymentResult | None
    error: str = ""
    new_balance: int | None = None
    try_another: bool = False
    """The client asked to pay again with another card (after a decline)."""

    @property
    def succeeded(self) -> bool:
        return self.result is not None and self.result.ok


class PayDialog(WorkerErrors, ModalScreen[PayOutcome | None]):
    """Pays one or more invoices with one card: one charge for the sum."""

    BINDINGS = [
        Binding("enter", "pay", "Pay"),
        Binding("t", "try_another", "Try another card"),
        Binding("escape", "close", "Close"),
    ]

    paying: reactive[bool] = reactive(False, bindings=True)
    outcome: reactive[PayOutcome | None] = reactive(None, bindings=True)

    @dataclass
    class Finished(Message):
        outcome: PayOutcome

    def __init__(
        self,
        ctx: KioskContext[Desk],
        invoices: list[InvoiceSummary | InvoiceDetail],
        card: CardView,
        on_settled: Callable[[PayOutcome], None] | None = None,
    ) -> None:
        """`on_settled` is told the outcome as soon as it is known, so the page behind the
        receipt (or the decline) shows the invoice as it is now, not as it was."""
        super().__init__()
        self.ctx = ctx
        self.on_settled = on_settled
        self.invoices = list(invoices)
        self.card = card
        self.amount = sum(inv.balance for inv in self.invoices)
        self.currency = self.invoices[0].currency if self.invoices else ctx.fmt.currency
        self.charges = 0  # how many times this dialog asked the service to pay

    def compose(self) -> ComposeResult:
        fmt = self.ctx.fmt
        numbers = ", ".join(inv.number for inv in self.invoices)
        with VerticalScroll(classes="dialog", id="pay-dialog"):
            yield Static("Confirm your payment", id="pay-title", classes="dialog-title")
            yield Static(
                join(
                    ("Amount    ", "dim"),
                    (fmt.money(self.amount, self.currency), "bold"),
                    "\n",
                    ("Card      ", "dim"),
                    (self.card.label, ""),
                    "\n",
                    ("Invoices  ", "dim"),
                    (numbers, ""),
                ),
                id="pay-summary",
            )
            yield Static(
                "One charge for the total. Press Pay once; it takes a few seconds.",
                id="pay-status",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"Pay {fmt.money(self.amount, self.currency)}", id="pay", variant="success"
                )
                yield Button("Try another card", id="try-another", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()
        yield TooSmall()

    def on_mount(self) -> None:
        self.query_one("#try-another", Button).display = False
        self.query_one("#pay", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pay":
            if self.outcome is not None:
                return False  # paid or declined: there is nothing to press Pay for
            return None if self.paying else True
        if action == "try_another":
            return self.outcome is not None and self._declined(self.outcome)
        if action == "close":
            return None if self.paying else True
        return True

    @on(Button.Pressed, "#pay")
    def action_pay(self) -> None:
        if self.paying or self.outcome is not None:
            return  # a second press does nothing
        self.paying = True
        self.charges += 1
        self.query_one("#pay", Button).disabled = True
        self.query_one("#cancel", Button).disabled = True
        self.query_one("#pay-title", Static).update("Paying…")
        self.query_one("#pay-status", Static).update(
            "Contacting the card processor. Please wait; do not pay again."
        )
        self._charge([inv.id for inv in self.invoices], self.card.id)

    @work(thread=True, exit_on_error=False, group="payment")
    def _charge(self, invoice_ids: list[int], card_id: int) -> None:
        desk = self.ctx.desk
        try:
            result = desk.pay(invoice_ids, card_id)
        except (PaymentError, NotYours) as exc:
            self.post_message(self.Finished(PayOutcome(None, str(exc))))
            return
        except Exception:  # noqa: BLE001 - the client gets a calm line; the log the trace
            self.post_message(
                self.Finished(
                    PayOutcome(
                        None,
                        "The payment could not be confirmed. Do not pay again: it will be "
                        "checked with the card processor and the invoice updated.",
                    )
                )
            )
            raise
        new_balance = None
        if result.ok:
            new_balance = desk.balance_after_payment()
        self.post_message(self.Finished(PayOutcome(result, new_balance=new_balance)))

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.paying = False
        self.outcome = event.outcome
        title = self.query_one("#pay-title", Static)
        summary = self.query_one("#pay-summary", Static)
        status = self.query_one("#pay-status", Static)
        self.query_one("#pay", Button).display = False
        close = self.query_one("#cancel", Button)
        close.disabled = False
        close.label = "Close"
        # A second Enter meant for Pay must not dismiss the receipt unseen: Close takes the
        # focus only after a moment (Escape closes at once).
        self.set_focus(None)
        # Not scrolled to: where the dialog scrolls (3-D Secure's link at 80x24), its top
        # (the link, the receipt) stays in view.
        self.set_timer(1.0, lambda: close.focus(scroll_visible=False))
        outcome = event.outcome
        result = outcome.result
        self._end_action_wait()
        if self._declined(outcome):
            self.query_one("#try-another", Button).display = True
        if self.on_settled is not None:
            self.on_settled(outcome)
        if outcome.succeeded and result is not None:
            title.update("Payment received — thank you")
            summary.update(self._receipt(result, outcome.new_balance))
            status.update(
                lit(f"A receipt was emailed to {self.ctx.desk.email}.")
                if self.ctx.desk.email
                else lit("A receipt was emailed to you.")
            )
            self.add_class("-succeeded")
        elif result is None:
            title.update("Not paid")
            status.update(lit(outcome.error))
            self.add_class("-failed")
        elif result.status == AttemptStatus.FAILED:
            title.update("Card declined — nothing was charged")
            advice = advice_for(result.decline_code)
            summary.update(
                join(("Reason  ", "dim"), (result.message, "bold"), "\n\n", (advice, ""))
            )
            status.update("The invoice is still owed.")
            self.add_class("-failed")
        elif result.status == AttemptStatus.REQUIRES_ACTION:
            title.update("Your bank wants to confirm this payment")
            summary.display = False
            status.display = False  # the link view says what to do and that it is waiting
            self.query_one("#pay-dialog").mount(
                ActionLinkView(self.ctx, result, id="action-link"), before=status
            )
            self.add_class("-action")
        else:
            title.update("Payment not confirmed yet")
            summary.update(lit(result.message or ""))
            status.update(
                "Do not pay again: the payment will be checked with the card processor and "
                "the invoice updated."
            )
            self.add_class("-failed")

    @on(ActionLinkView.Settled)
    def _action_settled(self, event: ActionLinkView.Settled) -> None:
        """The page (or a webhook, or Stripe) finished the 3-D Secure wait: show how."""
        self.paying = True  # the receipt is on its way; Close waits for it
        self._after_action(event.result)

    @work(thread=True, exit_on_error=False, group="payment")
    def _after_action(self, result: PaymentResult) -> None:
        new_balance = self.ctx.desk.balance_after_payment() if result.ok else None
        self.post_message(self.Finished(PayOutcome(result, new_balance=new_balance)))

    def _end_action_wait(self) -> None:
        """Back from a 3-D Secure wait: the link goes, the summary and status come back."""
        for view in self.query(ActionLinkView):
            view.remove()
        self.remove_class("-action")
        self.query_one("#pay-summary", Static).display = True
        self.query_one("#pay-status", Static).display = True

    def _receipt(self, result: PaymentResult, new_balance: int | None) -> Text:
        fmt = self.ctx.fmt
        balance_label = (
            "Still owed      " if isinstance(self.ctx.desk, ClientDesk) else "Invoice balance "
        )
        return join(
            ("Amount paid     ", "dim"),
            (fmt.money(result.amount, result.currency), "bold"),
            "\n",
            ("Card            ", "dim"),
            (result.card_label, ""),
            "\n",
            ("Reference       ", "dim"),
            (result.reference, "bold"),
            "\n",
            ("Invoices        ", "dim"),
            (", ".join(result.invoice_numbers), ""),
            "\n",
            (balance_label, "dim"),
            (fmt.money(new_balance or 0, result.currency), ""),
        )

    @staticmethod
    def _declined(outcome: PayOutcome) -> bool:
        """The card was refused (declined, or it needs 3-D Secure): another card may pay."""
        result = outcome.result
        return result is not None and result.status in (
            AttemptStatus.FAILED,
            AttemptStatus.REQUIRES_ACTION,
        )

    @on(Button.Pressed, "#try-another")
    def action_try_another(self) -> None:
        if self.outcome is not None and self._declined(self.outcome):
            self.dismiss(replace(self.outcome, try_another=True))

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        if self.paying:
            return
        self.dismiss(self.outcome)
