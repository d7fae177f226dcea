"""The database side of paying (DESIGN.md §5): the attempt ledger and recording outcomes.

Every function here is one transaction under `write_lock()`; none calls Stripe. Updates to
an attempt are conditional on the state the caller saw, so a paying process and the
reconciler racing over one attempt can never both move it, and a Stripe charge becomes at
most one Payment (unique `payment.attempt` and `payment.stripe_intent_id`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from models import (
    Payment,
    PaymentAttempt,
    PaymentMethod,
    placeholders,
    run_sql,
    utcnow,
    write_lock,
)
from models.states import ATTEMPT_IN_FLIGHT, AttemptStatus, InvoiceStatus
from services.audit import audit
from services.errors import PaydeskError


class PaymentError(PaydeskError):
    """A payment that must not start: not payable, already paid, void, or already in flight."""


@dataclass(frozen=True)
class SavedCard:
    """What paying needs of a saved card, read in one query."""

    id: int
    stripe_pm_id: str
    brand: str
    last4: str
    customer: str | None


@dataclass(frozen=True)
class OpenedAttempt:
    id: int
    idempotency_key: str
    amount: int
    currency: str
    card: SavedCard
    invoice_ids: tuple[int, ...]
    invoice_numbers: tuple[str, ...]

    @property
    def stripe_pm_id(self) -> str:
        return self.card.stripe_pm_id


@dataclass(frozen=True)
class RecordedPayment:
    """The Payment a success became (what the caller and the receipt need of it)."""

    id: int
    reference: str
    amount: int
    currency: str


class PendingAction(Exception):
    """Earlier attempts for these invoices wait for 3-D Secure; settle them first."""

    def __init__(self, attempt_ids: list[int]):
        super().__init__(attempt_ids)
        self.attempt_ids = attempt_ids


# Hex digits written as letters: a key never holds a digit, so never anything that looks
# like a card number (and hex is one C call, where base32 is Python code in `base64`).
_AS_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def new_key() -> str:
    """A random key for one attempt or refund (120 bits, 30 lowercase letters), stored
    before Stripe is called and reused."""
    return os.urandom(15).hex().translate(_AS_LETTERS)


def reference_for(attempt_id: int) -> str:
    return f"PAY-{attempt_id:06d}"


def saved_card(client_id: int, card_id: int) -> SavedCard | None:
    row = run_sql(
        "SELECT pm.id, pm.stripe_pm_id, pm.brand, pm.last4, c.stripe_customer_id"
        " FROM payment_method pm JOIN client c ON c.id = pm.client_id"
        " WHERE pm.id = ? AND pm.client_id = ?",
        (card_id, client_id),
    ).fetchone()
    return SavedCard(*row) if row else None


# The statements of the paying path are written out (models.run_sql): building them through
# Peewee's query compiler cost several times what running them does (bench/pay.py).
#
# Attempts in flight or waiting for 3-D Secure. A statement of its own, after the invoices are
# locked: on PostgreSQL it then sees attempts committed while it waited for the lock (a
# subquery in the locking SELECT would read the snapshot taken before the wait).
_BUSY = (
    "SELECT ai.invoice_id, a.status, a.id FROM attempt_invoice ai"
    " JOIN payment_attempt a ON a.id = ai.attempt_id"
    " WHERE ai.invoice_id IN ({}) AND a.status IN ('created', 'submitted', 'unknown',"
    " 'requires_action')"
)
_NEW_ATTEMPT = (
    "INSERT INTO payment_attempt (client_id, idempotency_key, amount, currency,"
    " payment_method_id, stripe_pm_id, status, source, off_session, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?) RETURNING id"
)


def open_attempt(
    client_id: int,
    invoice_ids: list[int],
    card_id: int,
    source: str,
    off_session: bool,
    actor: str,
    address: str,
    guard: Callable[[], None] | None = None,
) -> OpenedAttempt:
    """Step 1: check the card and the invoices are payable and free, then write the attempt."""
    ids = sorted(set(invoice_ids))
    marks = placeholders(len(ids))
    with write_lock():
        card = saved_card(client_id, card_id)
        if card is None:
            raise PaymentError("That card is not saved for this client.")
        invoices = run_sql(
            "SELECT id, client_id, number, status, total, amount_paid, currency FROM invoice"
            f" WHERE id IN ({marks}) ORDER BY id FOR UPDATE",
            ids,
        ).fetchall()
        if len(invoices) != len(ids):
            raise PaymentError("That invoice does not exist.")
        for _, owner, number, status, total, paid, _ in invoices:
            if owner != client_id:
                raise PaymentError(f"{number} is not an invoice of this client.")
            if status == InvoiceStatus.VOID:
                raise PaymentError(f"{number} is void; it cannot be paid.")
            if status == InvoiceStatus.DRAFT:
                raise PaymentError(f"{number} has not been sent yet.")
            if status == InvoiceStatus.PAID or total - paid <= 0:
                raise PaymentError(f"{number} is already paid.")
        if len({row[6] for row in invoices}) > 1:
            raise PaymentError("Invoices in different currencies must be paid separately.")
        numbers = {row[0]: row[2] for row in invoices}
        waiting = []
        for invoice_id, status, attempt_id in run_sql(_BUSY.format(marks), ids).fetchall():
            if status in ATTEMPT_IN_FLIGHT:
                raise PaymentError(
                    f"A payment for {numbers[invoice_id]} is already in progress; "
                    "wait for it to finish."
                )
            waiting.append(attempt_id)
        if waiting:
            raise PendingAction(waiting)
        if guard is not None:
            guard()  # the caller's last check, in this same lock (auto-bill: REC-05)
        owed = [(row[0], row[4] - row[5]) for row in invoices]
        amount = sum(due for _, due in owed)
        currency = invoices[0][6]
        key = f"paydesk-attempt-{new_key()}"
        now = utcnow()
        (attempt_id,) = run_sql(
            _NEW_ATTEMPT,
            (
                client_id,
                key,
                amount,
                currency,
                card.id,
                card.stripe_pm_id,
                source,
                off_session,
                now,
                now,
            ),
        ).fetchone()
        run_sql(
            "INSERT INTO attempt_invoice (attempt_id, invoice_id, amount) VALUES "
            + ", ".join(["(?, ?, ?)"] * len(owed)),
            [value for invoice_id, due in owed for value in (attempt_id, invoice_id, due)],
        )
        ordered = tuple(numbers[i] for i in ids)
        audit(
            actor or f"client:{client_id}",
            "payment.attempt",
            reference_for(attempt_id),
            {"invoices": list(ordered), "amount": amount, "source": source},
            address,
        )
    return OpenedAttempt(attempt_id, key, amount, currency, card, tuple(ids), ordered)


def set_submitted(attempt_id: int, intent_id: str) -> bool:
    """Step 2's record: the intent exists. False if the reconciler already closed the attempt.

    One conditional UPDATE, atomic on its own (no explicit transaction needed).
    """
    cursor = run_sql(
        "UPDATE payment_attempt SET status = 'submitted', stripe_intent_id = ?, updated_at = ?"
        " WHERE id = ? AND status IN ('created', 'unknown') AND stripe_intent_id IS NULL",
        (intent_id, utcnow(), attempt_id),
    )
    return cursor.rowcount == 1


def set_unknown(attempt_id: int, message: str) -> None:
    with write_lock():
        PaymentAttempt.update(
            status=AttemptStatus.UNKNOWN, failure_message=message, updated_at=utcnow()
        ).where(
            (PaymentAttempt.id == attempt_id) & PaymentAttempt.status.in_(ATTEMPT_IN_FLIGHT)
        ).execute()


def set_outcome(
    attempt_id: int,
    status: AttemptStatus,
    message: str,
    code: str | None = None,
    decline_code: str | None = None,
    from_statuses: tuple[AttemptStatus, ...] = ATTEMPT_IN_FLIGHT,
    without_intent: bool = False,
) -> bool:
    """Close an attempt as failed or requires_action (invoices untouched).

    `without_intent`: only while no intent id is stored (the caller saw none; if the payer
    stored one meanwhile, it may be confirming it, and the attempt must stay in flight).
    """
    assert status in (AttemptStatus.FAILED, AttemptStatus.REQUIRES_ACTION)
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


# The invoices' new paid amounts and statuses, as `services.invoices.invoices.status_for`
# computes them (void and draft keep their status; paid in full is "paid"; some paid is "partial").
_PAID = "invoice.amount_paid + ai.amount"
_SETTLE_INVOICES = (
    f"UPDATE invoice SET amount_paid = {_PAID},"
    " status = CASE WHEN invoice.status IN ('void', 'draft') THEN invoice.status"
    f" WHEN {_PAID} >= invoice.total THEN 'paid' WHEN {_PAID} > 0 THEN 'partial' ELSE 'sent' END,"
    " paid_at = CASE WHEN invoice.status NOT IN ('void', 'draft')"
    f" AND {_PAID} >= invoice.total THEN ? ELSE invoice.paid_at END"
    " FROM attempt_invoice ai WHERE ai.invoice_id = invoice.id AND ai.attempt_id = ?"
)


def record_success(
    attempt_id: int,
    intent_id: str,
    amount: int,
    card_brand: str | None = None,
    card_last4: str | None = None,
    also: Callable[[int], None] | None = None,
) -> tuple[RecordedPayment, bool]:
    """Step 3's record: the Payment, its allocations and the invoices, in one transaction.

    `also(attempt_id)`, if given, runs in the same transaction when the Payment is created
    (the auto-bill job marks its billing row paid with it).
    Returns (payment, created); a second call for the same attempt returns the first payment
    (the attempt row is claimed by a conditional UPDATE, and `payment.attempt` /
    `payment.stripe_intent_id` are unique).
    """
    now = utcnow()
    with write_lock():
        claimed = run_sql(
            "UPDATE payment_attempt SET status = 'succeeded', stripe_intent_id = ?,"
            " failure_code = NULL, decline_code = NULL, failure_message = NULL, updated_at = ?"
            " WHERE id = ? AND status <> 'succeeded' RETURNING client_id, currency, stripe_pm_id",
            (intent_id, now, attempt_id),
        ).fetchone()
        if claimed is None:  # already succeeded: set in the same transaction as the Payment
            first = Payment.get(Payment.attempt == attempt_id)
            return RecordedPayment(first.id, first.reference, first.amount, first.currency), False
        client_id, currency, stripe_pm_id = claimed
        if card_last4 is None:
            card = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == stripe_pm_id)
            card_brand, card_last4 = (card.brand, card.last4) if card else ("", "")
        reference = reference_for(attempt_id)
        (payment_id,) = run_sql(
            "INSERT INTO payment (client_id, attempt_id, reference, stripe_intent_id, amount,"
            " amount_refunded, currency, card_brand, card_last4, created_at)"
            " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id",
            (
                client_id,
                attempt_id,
                reference,
                intent_id,
                amount,
                currency,
                card_brand or "",
                card_last4,
                now,
            ),
        ).fetchone()
        run_sql(
            "INSERT INTO payment_allocation (payment_id, invoice_id, amount)"
            " SELECT ?, invoice_id, amount FROM attempt_invoice WHERE attempt_id = ?",
            (payment_id, attempt_id),
        )
        run_sql(_SETTLE_INVOICES, (now, attempt_id))
        audit(
            "system",
            "payment.succeeded",
            reference,
            {"amount": amount, "currency": currency, "intent": intent_id},
        )
        if also is not None:
            also(attempt_id)  # the caller's own record of this success, in this transaction
    return RecordedPayment(payment_id, reference, amount, currency), True
