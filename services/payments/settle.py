"""Turning Stripe's answer about a PaymentIntent into the ledger's record (DESIGN.md §5).

Used by `PaymentService.pay` right after its own calls, by the reconciler, and by webhooks.
Stripe's state decides: an intent that succeeded becomes exactly one Payment; one that was
never confirmed by us is canceled first, so it can never be charged later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from models import AttemptInvoice, Invoice, PaymentAttempt, PaymentMethod
from models.states import ATTEMPT_OPEN
from models.states import AttemptStatus as AttemptStatus  # re-exported with PaymentResult
from services.money import format_money
from services.payments import ledger, review
from services.payments.cards import card_label
from services.payments.declines import decline_message
from services.payments.ledger import RecordedPayment, SavedCard, reference_for
from services.payments.receipts import ReceiptSender
from services.stripe_client.client import from_stripe_amount, safe_error

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = (
    "We could not confirm whether the payment went through. Do not pay again: "
    "it is being checked and you will get a receipt if it succeeded."
)
INTERRUPTED = "The payment was interrupted before the card was charged. Please try again."
ACTION_MESSAGE = (
    "Your bank wants to confirm this payment (3-D Secure), so the card was not charged. "
    "Try another card, or complete the payment on the card page."
)
NOT_AUTHENTICATED = (
    "The bank's confirmation (3-D Secure) was not completed, so the card was not charged."
)
REVIEW_MESSAGE = (
    "We could not confirm with the card processor whether the payment went through. Do not "
    "pay again: the business will check it and update the invoice."
)
ACTION_TIMEOUT = timedelta(hours=24)


# An attempt's state in words, for people (the CLI); the stored values are for programs.
STATUS_WORDS: dict[str, str] = {
    AttemptStatus.CREATED: "started",
    AttemptStatus.SUBMITTED: "sent to Stripe",
    AttemptStatus.SUCCEEDED: "paid",
    AttemptStatus.FAILED: "not paid",
    AttemptStatus.REQUIRES_ACTION: "not paid, needs the client to complete 3-D Secure",
    AttemptStatus.UNKNOWN: "outcome not known yet",
    AttemptStatus.NEEDS_REVIEW: "needs review (Stripe does not know it)",
}


def status_words(status: str) -> str:
    """What a payment attempt's state means, in words."""
    return STATUS_WORDS.get(status, status.replace("_", " "))


def attempt_was_action(attempt_id: int) -> bool:
    return PaymentAttempt.get_by_id(attempt_id).status == AttemptStatus.REQUIRES_ACTION


@dataclass(frozen=True)
class PaymentResult:
    """What happened to one payment, for the kiosk, the CLI and the auto-bill job."""

    status: AttemptStatus  # succeeded | failed | requires_action | unknown | needs_review
    message: str
    amount: int
    currency: str
    reference: str | None
    card_label: str
    invoice_numbers: tuple[str, ...]
    attempt_id: int | None
    decline_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == AttemptStatus.SUCCEEDED


class Settler:
    """Records outcomes: success (Payment, allocations, invoices, receipt), decline, 3-D Secure."""

    def __init__(self, stripe_client: stripe.StripeClient, receipts: ReceiptSender) -> None:
        self.stripe = stripe_client
        self.receipts = receipts

    def card_error(self, attempt_id: int, exc: stripe.CardError) -> None:
        err = exc.error
        decline = getattr(err, "decline_code", None) if err else None
        if exc.code == "authentication_required":
            ledger.set_outcome(
                attempt_id, AttemptStatus.REQUIRES_ACTION, ACTION_MESSAGE, code=exc.code
            )
        else:
            message = decline_message(exc.code, decline, exc.user_message or "")
            ledger.set_outcome(attempt_id, AttemptStatus.FAILED, message, exc.code, decline)

    def record_success(
        self,
        attempt_id: int,
        intent,
        card: SavedCard | None = None,
        also: Callable[[int], None] | None = None,
    ) -> RecordedPayment:
        received = getattr(intent, "amount_received", None) or intent.amount
        payment, created = ledger.record_success(
            attempt_id,
            intent.id,
            from_stripe_amount(int(received), intent.currency),
            card.brand if card else None,
            card.last4 if card else None,
            also,
        )
        if created:
            self.receipts.submit(payment.id)
        return payment

    def apply(self, attempt_id: int, intent) -> None:
        """Record what an intent's status means for its attempt."""
        status = intent.status  # Stripe's PaymentIntent status, not the attempt's
        if status == "succeeded":
            self.record_success(attempt_id, intent)
        elif status == "requires_action":
            ledger.set_outcome(attempt_id, AttemptStatus.REQUIRES_ACTION, ACTION_MESSAGE)
        elif status in ("requires_payment_method", "canceled"):
            error = getattr(intent, "last_payment_error", None)
            code = getattr(error, "code", None) if error else None
            decline = getattr(error, "decline_code", None) if error else None
            if code == "authentication_required":
                if status == "requires_payment_method":  # the bank wants the client
                    ledger.set_outcome(
                        attempt_id, AttemptStatus.REQUIRES_ACTION, ACTION_MESSAGE, code=code
                    )
                else:  # 3-D Secure was never completed and the intent is canceled
                    ledger.set_outcome(
                        attempt_id,
                        AttemptStatus.FAILED,
                        NOT_AUTHENTICATED,
                        code,
                        from_statuses=ATTEMPT_OPEN,
                    )
            elif error:
                message = decline_message(code, decline, getattr(error, "message", "") or "")
                ledger.set_outcome(
                    attempt_id,
                    AttemptStatus.FAILED,
                    message,
                    code,
                    decline,
                    from_statuses=ATTEMPT_OPEN,
                )
            else:
                message = NOT_AUTHENTICATED if attempt_was_action(attempt_id) else INTERRUPTED
                ledger.set_outcome(
                    attempt_id, AttemptStatus.FAILED, message, from_statuses=ATTEMPT_OPEN
                )
        else:  # processing, requires_capture: not settled yet
            ledger.set_unknown(attempt_id, f"Stripe reports {status}")

    def settle(self, attempt: PaymentAttempt, cancel_action: bool) -> None:
        """Ask Stripe about one attempt and finish its record."""
        intent_id = attempt.stripe_intent_id or self.find_intent(attempt)
        if intent_id is None:
            # The create never reached Stripe, or its answer was lost; we never confirm an
            # intent whose id is not stored, so no card was charged.
            ledger.set_outcome(
                attempt.id,
                AttemptStatus.FAILED,
                INTERRUPTED,
                code="interrupted",
                without_intent=True,
            )
            return
        if attempt.stripe_intent_id is None:
            ledger.set_submitted(attempt.id, intent_id)
        try:
            intent = self.stripe.v1.payment_intents.retrieve(intent_id)
            if intent.status == "requires_confirmation" or (
                cancel_action and intent.status in ("requires_action", "requires_payment_method")
            ):
                # Never confirmed by us (crash before step 3), or 3-D Secure abandoned:
                # cancel so it can never be charged later, then record what Stripe says.
                intent = self.cancel(intent)
        except stripe.StripeError as exc:
            if review.is_missing(exc):  # whether it charged is for the owner to find out
                review.set_needs_review(attempt.id, intent_id)
            else:
                ledger.set_unknown(attempt.id, safe_error(exc))
            return
        self.apply(attempt.id, intent)

    def try_settle(self, attempt_id: int) -> None:
        try:
            self.settle(PaymentAttempt.get_by_id(attempt_id), cancel_action=False)
        except Exception:  # noqa: BLE001 - the reconciler finishes it later
            log.exception("could not settle payment attempt %s now", attempt_id)

    def cancel(self, intent):
        try:
            return self.stripe.v1.payment_intents.cancel(intent.id)
        except stripe.InvalidRequestError:
            # It moved on meanwhile (e.g. succeeded): what it is now decides.
            return self.stripe.v1.payment_intents.retrieve(intent.id)

    def cancel_quietly(self, intent_id: str) -> None:
        try:
            self.stripe.v1.payment_intents.cancel(intent_id)
        except stripe.StripeError as exc:
            log.warning("could not cancel orphan intent %s: %s", intent_id, safe_error(exc))

    def find_intent(self, attempt: PaymentAttempt) -> str | None:
        """The intent of an attempt whose create answer was lost, by its metadata."""
        query = f"metadata['paydesk_key']:'{attempt.idempotency_key}'"
        try:
            found = self.stripe.v1.payment_intents.search(params={"query": query, "limit": 1})
        except stripe.StripeError as exc:  # the sandbox has no search
            reason = safe_error(exc)
            log.info("intent search unavailable (%s); the attempt was never confirmed", reason)
            return None
        for intent in found.data:
            return intent.id
        return None

    def result_for(self, attempt_id: int, label: str) -> PaymentResult:
        attempt = PaymentAttempt.get_by_id(attempt_id)
        numbers = tuple(
            inv.number
            for inv in Invoice.select(Invoice.number)
            .join(AttemptInvoice)
            .where(AttemptInvoice.attempt == attempt_id)
            .order_by(Invoice.id)
        )
        if not label:
            card = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == attempt.stripe_pm_id)
            label = card_label(card.brand, card.last4) if card else "card"
        status = AttemptStatus(attempt.status)
        if status == AttemptStatus.SUCCEEDED:
            message = paid_message(
                attempt.amount, attempt.currency, label, reference_for(attempt_id)
            )
        elif status in (AttemptStatus.FAILED, AttemptStatus.REQUIRES_ACTION):
            message = attempt.failure_message or INTERRUPTED
        elif status == AttemptStatus.NEEDS_REVIEW:
            message = REVIEW_MESSAGE  # the reason stored is for the owner (`paydesk failures`)
        else:
            status = AttemptStatus.UNKNOWN
            message = UNKNOWN_MESSAGE
        return PaymentResult(
            status=status,
            message=message,
            amount=attempt.amount,
            currency=attempt.currency,
            reference=reference_for(attempt_id) if status == AttemptStatus.SUCCEEDED else None,
            card_label=label,
            invoice_numbers=numbers,
            attempt_id=attempt_id,
            decline_code=attempt.decline_code,
        )


def paid_message(amount: int, currency: str, label: str, reference: str) -> str:
    return f"Paid {format_money(amount, currency)} with {label}. Reference {reference}."
