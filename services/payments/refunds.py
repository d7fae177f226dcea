"""Refunds of card payments: never more than was captured, each with its own stored key.

A refund that succeeds gives its amount back to the invoices the payment paid (`refund_shares`
says which): their paid amounts drop and their statuses follow (paid → partial → sent), so
an invoice's balance is its total − its allocations + what was refunded of them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from models import Invoice, Payment, PaymentAllocation, Refund, lock_rows, utcnow, write_lock
from models.states import REFUND_PENDING, InvoiceStatus, RefundStatus
from services.audit import audit
from services.faults import pause_point
from services.invoices.views import status_for
from services.money import format_money
from services.payments import ledger
from services.payments.ledger import PaymentError
from services.payments.refund_reasons import reason_code
from services.payments.refund_receipts import send_refund_receipt
from services.stripe_client.client import refusal, safe_error, to_stripe_amount

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

log = logging.getLogger(__name__)


class RefundService:
    """Refunds part or all of a Payment at Stripe and records it."""

    def __init__(self, stripe_client: stripe.StripeClient, mailer: Any = None) -> None:
        self.stripe = stripe_client
        self.mailer = mailer  # the client's refund receipt; None sends none

    def refund(
        self, payment_id: int, amount: int, actor: str, reason: str = "", address: str = ""
    ) -> int:
        """Refund part or all of a payment; never more than was captured (less what was
        refunded or is being refunded). Returns the refund id. The Refund row and its key
        are committed before Stripe is called; the receipt is emailed once it succeeded."""
        with write_lock():
            payment = lock_rows(Payment.select().where(Payment.id == payment_id)).first()
            if payment is None:
                raise PaymentError("That payment does not exist.")
            if not payment.stripe_intent_id:
                raise PaymentError(
                    f"{payment.reference} was not paid by card: refund it the way it was paid."
                )
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
            audit(
                actor,
                "refund.created",
                payment.reference,
                {"amount": amount, "reason": reason},
                address,
            )
        metadata = {"paydesk_refund": row.idempotency_key}
        if reason_code(reason):
            metadata["paydesk_reason"] = reason_code(reason)
        try:
            refund = self.stripe.v1.refunds.create(
                params={
                    "payment_intent": payment.stripe_intent_id,
                    "amount": to_stripe_amount(amount, payment.currency),
                    "metadata": metadata,
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
        pause_point("refund:after_create")
        if self._finish(row.id, refund.id, refund.status):
            self._receipt(row.id)
        return row.id

    def _receipt(self, refund_id: int) -> None:
        """After the refund's commit: the client's receipt (at most once per refund)."""
        if self.mailer is not None:
            send_refund_receipt(self.mailer, refund_id)

    def _finish(self, refund_id: int, stripe_id: str, status: str | None) -> bool:
        """Record Stripe's answer; True if this call recorded the refund as succeeded."""
        with write_lock():
            row = lock_rows(Refund.select().where(Refund.id == refund_id)).get()
            if row.status == RefundStatus.SUCCEEDED:
                return False
            if status in ("succeeded", "pending"):  # Stripe's status of the refund
                Refund.update(status=RefundStatus.SUCCEEDED, stripe_refund_id=stripe_id).where(
                    Refund.id == refund_id
                ).execute()
                payment = lock_rows(Payment.select().where(Payment.id == row.payment_id)).get()
                Payment.update(amount_refunded=Payment.amount_refunded + row.amount).where(
                    Payment.id == row.payment_id
                ).execute()
                _reopen_invoices(payment.id, payment.amount_refunded, row.amount)
                before = payment.amount_refunded
                detail: dict = {"refund": refund_id, "amount": row.amount}
                detail["changes"] = {"amount_refunded": [before, before + row.amount]}
                audit("system", "refund.succeeded", payment.reference, detail)
                return True
            Refund.update(status=RefundStatus.FAILED, stripe_refund_id=stripe_id).where(
                Refund.id == refund_id
            ).execute()
            return False

    def record_from_stripe(
        self, payment_id: int, stripe_refund_id: str, amount: int, status: str, key: str = ""
    ) -> bool:
        """Record a refund Stripe reports (one made in Stripe's dashboard, or paydesk's own
        whose answer was lost: `key` is its metadata's paydesk_refund); no Stripe call.
        False if it is already recorded. Inside a transaction it joins it."""
        with write_lock():
            if Refund.select().where(Refund.stripe_refund_id == stripe_refund_id).exists():
                return False
            row = Refund.get_or_none(Refund.idempotency_key == key) if key else None
            if row is None:
                row = Refund.create(
                    payment=payment_id,
                    amount=amount,
                    reason="refunded at Stripe",
                    idempotency_key=f"stripe-{stripe_refund_id}",
                )
                reference = Payment.get_by_id(payment_id).reference
                detail = {"refund": row.id, "amount": amount}
                audit("stripe", "refund.created", reference, detail)
            self._finish(row.id, stripe_refund_id, status)
        return True

    def reconcile(self, min_age_seconds: float = 0.0) -> int:
        """Settle refunds whose Stripe answer was lost (older than `min_age_seconds`: a
        younger one may still be waiting for its answer); returns how many were settled."""
        done = 0
        cutoff = utcnow() - timedelta(seconds=min_age_seconds)
        pending = Refund.status.in_(REFUND_PENDING) & (Refund.created_at <= cutoff)
        for row in Refund.select().where(pending).order_by(Refund.id):
            payment = Payment.get_by_id(row.payment_id)
            try:
                params: Any = {"payment_intent": payment.stripe_intent_id, "limit": 100}
                listed = self.stripe.v1.refunds.list(params=params)
            except stripe.StripeError as exc:
                log.warning("could not list refunds: %s", safe_error(exc))
                continue
            match = next(
                (r for r in listed.auto_paging_iter() if refund_key(r) == row.idempotency_key),
                None,
            )
            if match is not None:
                if self._finish(row.id, match.id, match.status):
                    self._receipt(row.id)
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


def refund_key(refund: Any) -> str:
    """The paydesk idempotency key a Stripe refund carries in its metadata, or "" (one made
    in Stripe's dashboard). stripe 16's objects are not mappings: read with to_dict."""
    metadata = getattr(refund, "metadata", None)
    return str(metadata.to_dict().get("paydesk_refund", "")) if metadata else ""
