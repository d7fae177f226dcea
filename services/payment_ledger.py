"""The database side of paying (DESIGN.md §5): the attempt ledger and recording outcomes.

Every function here is one transaction under `write_lock()`; none calls Stripe. Updates to
an attempt are conditional on the state the caller saw, so a paying process and the
reconciler racing over one attempt can never both move it, and a Stripe charge becomes at
most one Payment (unique `payment.attempt` and `payment.stripe_intent_id`).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from models import (
    IN_FLIGHT,
    AttemptInvoice,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    lock_rows,
    utcnow,
    write_lock,
)
from services.audit import audit
from services.invoices import status_for


class PaymentError(Exception):
    """A payment that must not start: not payable, already paid, void, or already in flight."""


@dataclass(frozen=True)
class OpenedAttempt:
    id: int
    idempotency_key: str
    amount: int
    currency: str
    stripe_pm_id: str
    invoice_ids: tuple[int, ...]
    invoice_numbers: tuple[str, ...]


class PendingAction(Exception):
    """Earlier attempts for these invoices wait for 3-D Secure; settle them first."""

    def __init__(self, attempt_ids: list[int]):
        super().__init__(attempt_ids)
        self.attempt_ids = attempt_ids


def new_key() -> str:
    """A random key for one attempt or refund, stored before Stripe is called and reused.

    Base32 (letters and the digits 2-7), so no long digit runs that look like card numbers.
    """
    return base64.b32encode(os.urandom(15)).decode().lower()


def reference_for(attempt_id: int) -> str:
    return f"PAY-{attempt_id:06d}"


def open_attempt(
    client_id: int,
    invoice_ids: list[int],
    card: PaymentMethod,
    source: str,
    off_session: bool,
    actor: str,
    address: str,
    guard: Callable[[], None] | None = None,
) -> OpenedAttempt:
    """Step 1: check the invoices are payable and free, then write the attempt (`created`)."""
    ids = sorted(set(invoice_ids))
    with write_lock():
        columns = (Invoice.id, Invoice.client, Invoice.number, Invoice.status, Invoice.total)
        invoices = list(
            lock_rows(
                Invoice.select(*columns, Invoice.amount_paid, Invoice.currency)
                .where(Invoice.id.in_(ids))
                .order_by(Invoice.id)
            )
        )
        if len(invoices) != len(ids):
            raise PaymentError("That invoice does not exist.")
        for inv in invoices:
            if inv.client_id != client_id:
                raise PaymentError(f"{inv.number} is not an invoice of this client.")
            if inv.status == "void":
                raise PaymentError(f"{inv.number} is void; it cannot be paid.")
            if inv.status == "draft":
                raise PaymentError(f"{inv.number} has not been sent yet.")
            if inv.status == "paid" or inv.total - inv.amount_paid <= 0:
                raise PaymentError(f"{inv.number} is already paid.")
        if len({inv.currency for inv in invoices}) > 1:
            raise PaymentError("Invoices in different currencies must be paid separately.")
        busy = (
            AttemptInvoice.select(AttemptInvoice.invoice, PaymentAttempt.status, PaymentAttempt.id)
            .join(PaymentAttempt)
            .where(
                AttemptInvoice.invoice.in_(ids)
                & PaymentAttempt.status.in_(IN_FLIGHT + ("requires_action",))
            )
            .tuples()
        )
        waiting = []
        for invoice_id, status, attempt_id in cast("Iterable[tuple[int, str, int]]", busy):
            if status in IN_FLIGHT:
                number = next(inv.number for inv in invoices if inv.id == invoice_id)
                raise PaymentError(
                    f"A payment for {number} is already in progress; wait for it to finish."
                )
            waiting.append(attempt_id)
        if waiting:
            raise PendingAction(waiting)
        if guard is not None:
            guard()  # the caller's last check, in this same lock (auto-bill: REC-05)
        amount = sum(inv.total - inv.amount_paid for inv in invoices)
        attempt = PaymentAttempt.create(
            client=client_id,
            idempotency_key=f"paydesk-attempt-{new_key()}",
            amount=amount,
            currency=invoices[0].currency,
            payment_method=card.id,
            stripe_pm_id=card.stripe_pm_id,
            status="created",
            source=source,
            off_session=off_session,
        )
        AttemptInvoice.insert_many(
            [
                {"attempt": attempt.id, "invoice": inv.id, "amount": inv.total - inv.amount_paid}
                for inv in invoices
            ]
        ).execute()
        numbers = tuple(inv.number for inv in invoices)
        audit(
            actor or f"client:{client_id}",
            "payment.attempt",
            reference_for(attempt.id),
            {"invoices": list(numbers), "amount": amount, "source": source},
            address,
        )
    return OpenedAttempt(
        attempt.id,
        attempt.idempotency_key,
        amount,
        attempt.currency,
        card.stripe_pm_id,
        tuple(ids),
        numbers,
    )


def set_submitted(attempt_id: int, intent_id: str) -> bool:
    """Step 2's record: the intent exists. False if the reconciler already closed the attempt."""
    with write_lock():
        return bool(
            PaymentAttempt.update(
                status="submitted", stripe_intent_id=intent_id, updated_at=utcnow()
            )
            .where(
                (PaymentAttempt.id == attempt_id)
                & (PaymentAttempt.status.in_(("created", "unknown")))
                & PaymentAttempt.stripe_intent_id.is_null()
            )
            .execute()
        )


def set_unknown(attempt_id: int, message: str) -> None:
    with write_lock():
        PaymentAttempt.update(status="unknown", failure_message=message, updated_at=utcnow()).where(
            (PaymentAttempt.id == attempt_id) & PaymentAttempt.status.in_(IN_FLIGHT)
        ).execute()


def set_outcome(
    attempt_id: int,
    status: str,
    message: str,
    code: str | None = None,
    decline_code: str | None = None,
    from_statuses: tuple[str, ...] = IN_FLIGHT,
    without_intent: bool = False,
) -> bool:
    """Close an attempt as failed or requires_action (invoices untouched).

    `without_intent`: only while no intent id is stored (the caller saw none; if the payer
    stored one meanwhile, it may be confirming it, and the attempt must stay in flight).
    """
    assert status in ("failed", "requires_action")
    where = (PaymentAttempt.id == attempt_id) & PaymentAttempt.status.in_(from_statuses)
    if without_intent:
        where &= PaymentAttempt.stripe_intent_id.is_null()
    with write_lock():
        moved = (
            PaymentAttempt.update(
                status=status,
                failure_code=code,
                decline_code=decline_code,
                failure_message=message,
                updated_at=utcnow(),
            )
            .where(where)
            .execute()
        )
        if moved:
            attempt = PaymentAttempt.get_by_id(attempt_id)
            audit(
                "system",
                f"payment.{status}",
                reference_for(attempt_id),
                {"code": code, "decline_code": decline_code, "amount": attempt.amount},
            )
    return bool(moved)


def record_success(
    attempt_id: int,
    intent_id: str,
    amount: int,
    card_brand: str | None = None,
    card_last4: str | None = None,
) -> tuple[Payment, bool]:
    """Step 3's record: the Payment, its allocations and the invoices, in one transaction.

    Returns (payment, created); a second call for the same attempt returns the first payment
    (the attempt row is locked, and `payment.attempt` / `payment.stripe_intent_id` are unique).
    """
    with write_lock():
        attempt = lock_rows(
            PaymentAttempt.select(
                PaymentAttempt.client,
                PaymentAttempt.currency,
                PaymentAttempt.status,
                PaymentAttempt.stripe_pm_id,
            ).where(PaymentAttempt.id == attempt_id)
        ).get()
        if attempt.status == "succeeded":  # set in the same transaction as the Payment
            return Payment.get(Payment.attempt == attempt_id), False
        if card_last4 is None:
            card = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == attempt.stripe_pm_id)
            card_brand, card_last4 = (card.brand, card.last4) if card else ("", "")
        payment = Payment.create(
            client=attempt.client_id,
            attempt=attempt_id,
            reference=reference_for(attempt_id),
            stripe_intent_id=intent_id,
            amount=amount,
            currency=attempt.currency,
            card_brand=card_brand or "",
            card_last4=card_last4,
        )
        items = list(
            lock_rows(
                AttemptInvoice.select(
                    AttemptInvoice.invoice,
                    AttemptInvoice.amount,
                    Invoice.id,
                    Invoice.total,
                    Invoice.amount_paid,
                    Invoice.status,
                    Invoice.paid_at,
                )
                .join(Invoice)
                .where(AttemptInvoice.attempt == attempt_id)
                .order_by(Invoice.id)
            )
        )
        PaymentAllocation.insert_many(
            [{"payment": payment.id, "invoice": i.invoice_id, "amount": i.amount} for i in items]
        ).execute()
        now = utcnow()
        for item in items:
            inv = item.invoice
            paid = inv.amount_paid + item.amount
            status = status_for(inv.total, paid, inv.status)
            Invoice.update(
                amount_paid=paid,
                status=status,
                paid_at=now if status == "paid" else inv.paid_at,
            ).where(Invoice.id == inv.id).execute()
        PaymentAttempt.update(
            status="succeeded",
            stripe_intent_id=intent_id,
            failure_code=None,
            decline_code=None,
            failure_message=None,
            updated_at=now,
        ).where(PaymentAttempt.id == attempt_id).execute()
        audit(
            "system",
            "payment.succeeded",
            payment.reference,
            {"amount": amount, "currency": attempt.currency, "intent": intent_id},
        )
    return payment, True
