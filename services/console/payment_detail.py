"""One payment for the console: who paid, how, its Stripe reference, the invoices it paid
(its allocations) and the refunds made of it. A few statements, whatever the volume."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from models import Client, Invoice, Payment, PaymentAllocation, Refund
from models.states import REFUND_PENDING, RefundStatus
from services.errors import PaydeskError
from services.payments.cards import card_label
from services.text import visible


class NoSuchPayment(PaydeskError):
    """The payment is not the business's (or no longer exists)."""


@dataclass(frozen=True)
class AllocationLine:
    """How much of the payment went to one invoice, and where that invoice stands now."""

    invoice_id: int
    number: str
    amount: int
    invoice_status: str


@dataclass(frozen=True)
class RefundLine:
    id: int
    at: datetime  # UTC
    amount: int
    reason: str
    status: str
    stripe_refund_id: str


@dataclass(frozen=True)
class PaymentDetail:
    id: int
    reference: str
    at: datetime  # UTC
    client_id: int
    client: str
    client_email: str
    amount: int
    refunded: int
    pending: int  # refunds asked of Stripe whose answer is not in yet
    currency: str
    card: str  # "" for an offline payment
    intent_id: str  # "" for an offline payment
    allocations: tuple[AllocationLine, ...]
    refunds: tuple[RefundLine, ...]

    @property
    def refundable(self) -> int:
        """What a refund may still give back: nothing of a payment Stripe did not take."""
        if not self.intent_id:
            return 0
        return max(0, self.amount - self.refunded - self.pending)


def payment_detail(business_id: int, payment_id: int) -> PaymentDetail:
    found = (
        Payment.select(Payment, Client)
        .join(Client)
        .where((Payment.id == payment_id) & (Client.business == business_id))
        .first()
    )
    if found is None:
        raise NoSuchPayment("That payment does not exist.")
    payment: Payment = found
    client: Client = found.client
    paid = (
        PaymentAllocation.select(
            Invoice.id, Invoice.number, PaymentAllocation.amount, Invoice.status
        )
        .join(Invoice)
        .where(PaymentAllocation.payment == payment_id)
        .order_by(Invoice.id)
        .tuples()
    )
    allocations = tuple(
        AllocationLine(inv_id, visible(number), int(amount), status)
        for inv_id, number, amount, status in cast("Iterable[tuple[int, str, int, str]]", paid)
    )
    refunds = tuple(
        RefundLine(
            r.id,
            r.created_at,
            r.amount,
            visible(r.reason),
            r.status,
            visible(r.stripe_refund_id or ""),
        )
        for r in Refund.select().where(Refund.payment == payment_id).order_by(Refund.id)
    )
    pending = sum(r.amount for r in refunds if r.status in REFUND_PENDING)
    return PaymentDetail(
        id=payment.id,
        reference=visible(payment.reference),
        at=payment.created_at,
        client_id=client.id,
        client=visible(client.name),
        client_email=visible(client.email),
        amount=payment.amount,
        refunded=payment.amount_refunded,
        pending=pending,
        currency=payment.currency,
        card=visible(card_label(payment.card_brand, payment.card_last4))
        if payment.card_last4
        else "",
        intent_id=visible(payment.stripe_intent_id or ""),
        allocations=allocations,
        refunds=refunds,
    )


REFUND_WORDS: dict[str, str] = {
    RefundStatus.CREATED: "asked of Stripe",
    RefundStatus.UNKNOWN: "no answer yet",
    RefundStatus.SUCCEEDED: "refunded",
    RefundStatus.FAILED: "failed",
}
