"""Refunds of card payments: never more than was captured, each with its own stored key."""

from __future__ import annotations

import logging
from typing import Any

import stripe

from models import Payment, Refund, lock_rows, write_lock
from models.states import REFUND_PENDING, RefundStatus
from services.audit import audit
from services.money import format_money
from services.payments import ledger
from services.payments.ledger import PaymentError
from services.stripe_client.client import refusal, safe_error, to_stripe_amount

log = logging.getLogger(__name__)


class RefundService:
    """Refunds part or all of a Payment at Stripe and records it."""

    def __init__(self, stripe_client: stripe.StripeClient) -> None:
        self.stripe = stripe_client

    def refund(self, payment_id: int, amount: int, actor: str, reason: str = "") -> int:
        """Refund part or all of a payment; never more than was captured. Returns the refund id."""
        with write_lock():
            payment = lock_rows(Payment.select().where(Payment.id == payment_id)).first()
            if payment is None:
                raise PaymentError("That payment does not exist.")
            pending = sum(
                r.amount
                for r in Refund.select().where(
                    (Refund.payment == payment_id) & Refund.status.in_(REFUND_PENDING)
                )
            )
            left = payment.amount - payment.amount_refunded - pending
            if amount <= 0 or amount > left:
                raise PaymentError(
                    f"At most {format_money(left, payment.currency)} of "
                    f"{payment.reference} can be refunded."
                )
            row = Refund.create(
                payment=payment_id,
                amount=amount,
                reason=reason,
                idempotency_key=f"paydesk-refund-{ledger.new_key()}",
            )
            audit(actor, "refund.created", payment.reference, {"amount": amount, "reason": reason})
        try:
            refund = self.stripe.v1.refunds.create(
                params={
                    "payment_intent": payment.stripe_intent_id,
                    "amount": to_stripe_amount(amount, payment.currency),
                    "metadata": {"paydesk_refund": row.idempotency_key},
                },
                options={"idempotency_key": row.idempotency_key},
            )
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
            Refund.update(status=RefundStatus.UNKNOWN).where(Refund.id == row.id).execute()
            raise PaymentError(
                f"Stripe did not answer ({safe_error(exc)}); `paydesk reconcile` will finish it."
            ) from None
        except stripe.StripeError as exc:
            Refund.update(status=RefundStatus.FAILED).where(Refund.id == row.id).execute()
            raise PaymentError(f"Stripe refused the refund: {refusal(exc)}") from None
        self._finish(row.id, refund.id, refund.status)
        return row.id

    def _finish(self, refund_id: int, stripe_id: str, status: str | None) -> None:
        with write_lock():
            row = lock_rows(Refund.select().where(Refund.id == refund_id)).get()
            if row.status == RefundStatus.SUCCEEDED:
                return
            if status in ("succeeded", "pending"):  # Stripe's status of the refund
                Refund.update(status=RefundStatus.SUCCEEDED, stripe_refund_id=stripe_id).where(
                    Refund.id == refund_id
                ).execute()
                Payment.update(amount_refunded=Payment.amount_refunded + row.amount).where(
                    Payment.id == row.payment_id
                ).execute()
                audit("system", "refund.succeeded", str(refund_id), {"amount": row.amount})
            else:
                Refund.update(status=RefundStatus.FAILED, stripe_refund_id=stripe_id).where(
                    Refund.id == refund_id
                ).execute()

    def reconcile(self) -> int:
        """Settle refunds whose Stripe answer was lost; returns how many were settled."""
        done = 0
        for row in Refund.select().where(Refund.status.in_(REFUND_PENDING)):
            payment = Payment.get_by_id(row.payment_id)
            try:
                params: Any = {"payment_intent": payment.stripe_intent_id, "limit": 100}
                listed = self.stripe.v1.refunds.list(params=params)
            except stripe.StripeError as exc:
                log.warning("could not list refunds: %s", safe_error(exc))
                continue
            match = next(
                (
                    r
                    for r in listed.auto_paging_iter()
                    if _metadata(r).get("paydesk_refund") == row.idempotency_key
                ),
                None,
            )
            if match is not None:
                self._finish(row.id, match.id, match.status)
            else:
                Refund.update(status=RefundStatus.FAILED).where(Refund.id == row.id).execute()
            done += 1
        return done


def _metadata(obj: Any) -> dict[str, str]:
    return dict(getattr(obj, "metadata", None) or {})
