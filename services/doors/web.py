"""The web side's door: the hosted invoice page a [View Invoice] code opens (`/i/CODE`).

Every call takes the code and the caller's address and checks the code again (throttled per
address, as in the kiosk), so a request reaches that one invoice and nothing else: its lines
and totals, its PDF, the client's saved cards by label, and paying it.

Paying with a new card never lets a card number reach paydesk: the browser confirms a
SetupIntent with Stripe.js (`confirmCardSetup`, which localstripe's Stripe.js also does), the
server retrieves it, saves the card, and pays through the kiosk's exactly-once path
(`PaymentService.pay`: the attempt in the ledger before the PaymentIntent exists). When the
bank wants 3-D Secure, the page finishes the intent with `confirmCardPayment` and the server
retrieves it from Stripe to record the outcome (the browser's word is never taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from models import AccessCode, AttemptInvoice, Client, PaymentAttempt
from models.states import AttemptStatus
from services.accounts.access_codes import AccessCodeService, CodeAccess
from services.audit import clean
from services.doors.web_sql import cards_of, invoice_detail, waiting_attempt
from services.errors import PaydeskError
from services.invoices.invoices import InvoiceService
from services.invoices.views import InvoiceDetail, status_stamp
from services.payments.card_links import CardLinkService, StripeJs
from services.payments.cards import CardService, CardView
from services.payments.payments import PaymentService
from services.payments.settle import PaymentResult

if TYPE_CHECKING:
    import stripe
    from stripe.params import SetupIntentCreateParams
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

BAD_CODE = "This invoice link is not valid or has expired. Ask us for a new one."
SOURCE = "web"
# An intent 3-D Secure can still finish: Stripe's on-session answer, or (off-session,
# authentication_required) one to confirm again with the same card.
WAITING = ("requires_action", "requires_payment_method")


class CodeRefused(PaydeskError):
    """The code is wrong, expired, revoked or void, or its address is throttled."""


class PageError(PaydeskError):
    """A request the page cannot do (the message is for the person on the page)."""


@dataclass(frozen=True)
class InvoicePage:
    """What `/i/CODE` shows: the invoice, how to pay it, and a 3-D Secure wait if any."""

    invoice: InvoiceDetail
    cards: tuple[CardView, ...]
    action_attempt: int | None  # an attempt for this invoice waiting for the bank


@dataclass(frozen=True)
class PayAnswer:
    """A payment's outcome for the page; `action_secret` when the bank wants 3-D Secure."""

    result: PaymentResult
    action_secret: str = ""
    payment_method: str = ""  # what `confirmCardPayment` confirms with (real Stripe)


@dataclass(frozen=True)
class InvoicePageParts:
    codes: AccessCodeService
    invoices: InvoiceService
    cards: CardService
    card_links: CardLinkService
    payments: PaymentService


class InvoicePageDoor:
    """The invoice page's services, each call scoped by the code it is given."""

    def __init__(self, parts: InvoicePageParts) -> None:
        self._p = parts

    def stripe_js(self) -> StripeJs:
        return self._p.card_links.stripe_js()

    def stripe_js_kept(self) -> StripeJs | None:
        """The Stripe.js last looked up, while current (memory only; None: look it up)."""
        return self._p.card_links.stripe_js_kept()

    def throttled(self, address: str) -> str | None:
        return self._p.codes.throttled(address)

    def use_noted(self, row: AccessCode, digest: str, address: str, now: datetime) -> bool:
        """True when `noted` would write nothing (memory only: for the event loop)."""
        return self._p.codes.use_noted(row, digest, clean(address, 64), now)

    def noted(self, row: AccessCode, digest: str, address: str, now: datetime) -> None:
        """A valid code's use noted as `verify` notes it (its page shown again unread)."""
        self._p.codes.note_use(row, digest, int(row.invoice_id), clean(address, 64), now)

    def page(self, code: str, address: str) -> InvoicePage:
        access = self._access(code, address)
        invoice = invoice_detail(access.invoice_id)
        if invoice is None:  # deleted since the code was checked
            raise CodeRefused(BAD_CODE)
        cards = tuple(cards_of(invoice.client_id)) if invoice.payable else ()
        return InvoicePage(invoice, cards, waiting_attempt(invoice.id))

    def pdf(self, code: str, address: str, how_to_pay: str = "") -> tuple[str, bytes]:
        from services.invoices.pdf import render_invoice_pdf  # fpdf loads fonts: on demand

        invoice = self._invoice(code, address)
        return invoice.number, render_invoice_pdf(invoice, how_to_pay, status_stamp(invoice.status))

    def start_card(self, code: str, address: str) -> str:
        """A SetupIntent for the new card the page is about to confirm: its client secret."""
        invoice = self._payable(code, address)
        self.stripe_js()  # refuse when the page cannot work (no publishable key)
        customer = self._p.cards.ensure_customer(invoice.client_id)
        params: SetupIntentCreateParams = {
            "customer": customer,
            "usage": "off_session",
            "metadata": {
                "paydesk_client": str(invoice.client_id),
                "paydesk_invoice": str(invoice.id),
            },
        }
        intent = self._p.card_links.stripe.v1.setup_intents.create(params=params)
        return str(intent.client_secret)

    def pay_new_card(self, code: str, address: str, setup_intent_id: str) -> PayAnswer:
        """Save the card the browser confirmed (retrieved from Stripe), then pay with it."""
        invoice = self._payable(code, address)
        if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
            raise PageError("The card was not confirmed; please try again.")
        try:
            intent = self._p.card_links.stripe.v1.setup_intents.retrieve(setup_intent_id)
        except stripe.InvalidRequestError as exc:
            raise PageError("The card was not confirmed; please try again.") from exc
        metadata = intent.metadata.to_dict() if intent.metadata else {}
        if metadata.get("paydesk_invoice") != str(invoice.id):
            raise PageError("The card was not confirmed for this invoice; please try again.")
        if intent.status != "succeeded":
            raise PageError("The card was not confirmed at Stripe yet; please try again.")
        customer = Client.get_by_id(invoice.client_id).stripe_customer_id
        links = self._p.card_links
        card = links.save_confirmed(invoice.client_id, customer, intent, "invoice page")
        return self._pay(invoice, card.id, address)

    def pay_saved(self, code: str, address: str, card_id: int) -> PayAnswer:
        invoice = self._payable(code, address)
        card = self._p.cards.get(invoice.client_id, card_id)  # CardError if not theirs
        return self._pay(invoice, card.id, address)

    def finish_action(self, code: str, address: str, attempt_id: int) -> PayAnswer:
        """After the page's `confirmCardPayment`: ask Stripe and record what it says."""
        invoice = self._invoice(code, address)
        attempt = self._attempt_of(invoice.id, attempt_id)
        if attempt.status in (AttemptStatus.SUCCEEDED, AttemptStatus.FAILED):
            return PayAnswer(self._p.payments.result(attempt.id))
        self._p.payments.settler.settle(attempt, cancel_action=False)
        return self._answer(self._p.payments.result(attempt.id))

    def action(self, code: str, address: str, attempt_id: int) -> tuple[str, str]:
        """(client secret, PaymentMethod id) of the intent an attempt of this invoice waits
        on, for the page's `confirmCardPayment`."""
        invoice = self._invoice(code, address)
        attempt = self._attempt_of(invoice.id, attempt_id)
        if attempt.status != AttemptStatus.REQUIRES_ACTION or not attempt.stripe_intent_id:
            raise PageError("This payment is no longer waiting for your bank.")
        intent = self._p.payments.stripe.v1.payment_intents.retrieve(attempt.stripe_intent_id)
        if intent.status not in WAITING:
            raise PageError("This payment is no longer waiting for your bank.")
        return str(intent.client_secret), attempt.stripe_pm_id

    # -- helpers --------------------------------------------------------------------------
    def _access(self, code: str, address: str) -> CodeAccess:
        access = self._p.codes.verify(code, address=address)
        if access is None:
            raise CodeRefused(self._p.codes.throttled(address) or BAD_CODE)
        return access

    def _invoice(self, code: str, address: str) -> InvoiceDetail:
        return self._p.invoices.get(self._access(code, address).invoice_id)

    def _payable(self, code: str, address: str) -> InvoiceDetail:
        invoice = self._invoice(code, address)
        if not invoice.payable:
            raise PageError(f"{invoice.number} is {invoice.status}; there is nothing to pay.")
        return invoice

    def _pay(self, invoice: InvoiceDetail, card_id: int, address: str) -> PayAnswer:
        result = self._p.payments.pay(
            invoice.client_id,
            [invoice.id],
            card_id,
            source=SOURCE,
            actor=f"code:invoice:{invoice.id}",
            address=address,
        )
        return self._answer(result)

    def _answer(self, result: PaymentResult) -> PayAnswer:
        if result.status != AttemptStatus.REQUIRES_ACTION or result.attempt_id is None:
            return PayAnswer(result)
        attempt = PaymentAttempt.get_by_id(result.attempt_id)
        if not attempt.stripe_intent_id:
            return PayAnswer(result)
        intent = self._p.payments.stripe.v1.payment_intents.retrieve(attempt.stripe_intent_id)
        if intent.status not in WAITING:
            return PayAnswer(result)
        return PayAnswer(result, str(intent.client_secret), attempt.stripe_pm_id)

    def _attempt_of(self, invoice_id: int, attempt_id: int) -> PaymentAttempt:
        attempt = (
            PaymentAttempt.select()
            .join(AttemptInvoice)
            .where((PaymentAttempt.id == attempt_id) & (AttemptInvoice.invoice == invoice_id))
            .first()
        )
        if attempt is None:
            raise PageError("That payment is not one of this invoice.")
        return attempt
