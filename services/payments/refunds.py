"""Refunds of card payments: never more than was captured, each with its own stored key.

A refund that succeeds gives its amount back to the invoices the payment paid (`refund_shares`
says which): their paid amounts drop and their statuses follow (paid → partial → sent), so
an invoice's balance is its total − its allocations + what was refunded of them.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from models import Invoice, Payment, PaymentAllocation, Refund, lock_rows, write_lock
from models.states import REFUND_PENDING, InvoiceStatus, RefundStatus
from services.audit import audit
from services.invoices.views import status_for
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
                payment = lock_rows(Payment.select().where(Payment.id == row.payment_id)).get()
                Payment.update(amount_refunded=Payment.amount_refunded + row.amount).where(
                    Payment.id == row.payment_id
                ).execute()
                _reopen_invoices(payment.id, payment.amount_refunded, row.amount)
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


def refund_shares(allocations: list[tuple[int, int]], refunded: int) -> dict[int, int]:
    """How much of a payment's `refunded` total goes back to each of its invoices.

    `allocations` are the payment's (invoice_id, amount). The newest invoice (highest id)
    takes the refund first, up to what the payment paid of it, then the next: paying
    INV-1 (60) and INV-2 (40) together and refunding 50 gives back INV-2's 40 and 10 of INV-1.
    """
    shares = {}
    left = refunded
    for invoice_id, amount in sorted(allocations, reverse=True):
        share = min(amount, max(0, left))
        shares[invoice_id] = share
        left -= share
    return shares


def _reopen_invoices(payment_id: int, refunded_before: int, amount: int) -> None:
    """Give a refund back to the invoices the payment paid: less paid, status to match."""
    allocations = [
        (a.invoice_id, a.amount)
        for a in PaymentAllocation.select().where(PaymentAllocation.payment == payment_id)
    ]
    before = refund_shares(allocations, refunded_before)
    after = refund_shares(allocations, refunded_before + amount)
    for invoice_id in sorted(after):
        back = after[invoice_id] - before[invoice_id]
        if not back:
            continue
        inv = lock_rows(Invoice.select().where(Invoice.id == invoice_id)).get()
        paid = inv.amount_paid - back
        status = status_for(inv.total, paid, inv.status)
        Invoice.update(
            amount_paid=paid,
            status=status,
            paid_at=inv.paid_at if status == InvoiceStatus.PAID else None,
        ).where(Invoice.id == invoice_id).execute()


def _metadata(obj: Any) -> dict[str, str]:
    return dict(getattr(obj, "metadata", None) or {})
