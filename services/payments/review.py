"""Attempts whose PaymentIntent Stripe no longer knows (404): `needs_review`, then the owner's
`paydesk reconcile --resolve PAY-… failed|succeeded`.

Stripe forgetting an intent we created (the sandbox lost its state, or the API key now
belongs to another account) says nothing about whether the card was charged. So the attempt
is never guessed: it keeps its invoices from being paid (or auto-charged) again until the
owner has looked at the Stripe account that was used, and says which it was. Both ways go
through the ledger's usual records and are audited: who, what, when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peewee import fn

from models import PaymentAttempt, lock_rows, utcnow, write_lock
from models.states import ATTEMPT_SETTLEABLE, AttemptStatus
from services.audit import audit
from services.payments import ledger
from services.payments.ledger import PaymentError, RecordedPayment, reference_for

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

REVIEWED_FAILED = "reviewed"  # failure_code of an attempt the owner marked not charged
NOT_CHARGED = "Checked by the business: the card was not charged."


def is_missing(exc: stripe.StripeError) -> bool:
    """Stripe's answer means it has no such object (404, `resource_missing`)."""
    return isinstance(exc, stripe.InvalidRequestError) and (
        exc.http_status == 404 or exc.code == "resource_missing"
    )


def missing_reason(intent_id: str, attempt_id: int) -> str:
    return (
        f"Stripe does not know payment intent {intent_id} (404): its test data was reset, or "
        "the API key now belongs to another account. Check that account's payments, then "
        f"`paydesk reconcile --resolve {reference_for(attempt_id)} succeeded` (or `failed`)."
    )


def set_needs_review(attempt_id: int, intent_id: str) -> bool:
    """Move an unsettled attempt to `needs_review`; False if it was settled meanwhile."""
    with write_lock():
        moved = (
            PaymentAttempt.update(
                status=AttemptStatus.NEEDS_REVIEW,
                stripe_intent_id=fn.COALESCE(PaymentAttempt.stripe_intent_id, intent_id),
                failure_code="resource_missing",
                decline_code=None,
                failure_message=missing_reason(intent_id, attempt_id),
                updated_at=utcnow(),
            )
            .where(
                (PaymentAttempt.id == attempt_id) & PaymentAttempt.status.in_(ATTEMPT_SETTLEABLE)
            )
            .execute()
        )
        if moved:
            amount = PaymentAttempt.get_by_id(attempt_id).amount
            audit(
                "system",
                "payment.needs_review",
                reference_for(attempt_id),
                {"intent": intent_id, "amount": amount, "reason": "stripe 404"},
            )
    return bool(moved)


def attempt_id_of(reference: str) -> int:
    """PAY-000123 (or 123) -> 123."""
    text = reference.strip().upper().removeprefix("PAY-")
    if not text.isdigit():
        raise PaymentError(f"{reference!r} is not a payment reference (like PAY-000123)")
    return int(text)


def _lock_for_review(attempt_id: int) -> PaymentAttempt:
    attempt = lock_rows(PaymentAttempt.select().where(PaymentAttempt.id == attempt_id)).first()
    reference = reference_for(attempt_id)
    if attempt is None:
        raise PaymentError(f"no payment {reference}")
    if attempt.status != AttemptStatus.NEEDS_REVIEW:
        raise PaymentError(f"{reference} is not waiting for review (it is {attempt.status})")
    return attempt


def resolve_failed(attempt_id: int, actor: str) -> None:
    """The owner found no charge: the attempt failed, its invoices can be paid again."""
    with write_lock():
        attempt = _lock_for_review(attempt_id)
        PaymentAttempt.update(
            status=AttemptStatus.FAILED,
            failure_code=REVIEWED_FAILED,
            failure_message=NOT_CHARGED,
            updated_at=utcnow(),
        ).where(PaymentAttempt.id == attempt_id).execute()
        _audit(actor, attempt, "failed")


def resolve_succeeded(attempt_id: int, actor: str) -> RecordedPayment:
    """The owner found the charge: record it as Stripe's success would have been recorded."""
    with write_lock():
        attempt = _lock_for_review(attempt_id)
        intent_id = attempt.stripe_intent_id  # stored when it was marked for review
        if not intent_id:
            raise PaymentError(f"{reference_for(attempt_id)} has no Stripe payment intent")
        # A savepoint in this transaction: the check and the record commit together.
        payment, _ = ledger.record_success(attempt_id, intent_id, attempt.amount)
        _audit(actor, attempt, "succeeded")
    return payment


def _audit(actor: str, attempt: PaymentAttempt, outcome: str) -> None:
    audit(
        actor,
        "payment.resolved",
        reference_for(attempt.id),
        {"outcome": outcome, "amount": attempt.amount, "intent": attempt.stripe_intent_id},
    )
