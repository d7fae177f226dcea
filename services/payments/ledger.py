"""The database side of paying (DESIGN.md §5): the attempt ledger and recording outcomes.

Every function here is one transaction under `write_lock()`; none calls Stripe; the
hand-written statements are in `ledger_sql`. Updates to an attempt are conditional on the
state the caller saw, so a paying process and the reconciler racing over one attempt can
never both move it, and a Stripe charge becomes at most one Payment (unique
`payment.attempt` and `payment.stripe_intent_id`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from models import (
    Payment,
    PaymentAttempt,
    PaymentMethod,
    utcnow,
    write_lock,
)
from models.states import ATTEMPT_IN_FLIGHT, AttemptStatus, InvoiceStatus
from services.audit import audit
from services.errors import PaydeskError
from services.money import card_maximum, format_money
from services.payments import ledger_sql
from services.payments.owner import is_gone, this_process


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


class Orphaned(Exception):
    """Earlier attempts for these invoices are in flight with no live payer; settle them first."""

    def __init__(self, attempt_ids: list[int]):
        super().__init__(attempt_ids)
        self.attempt_ids = attempt_ids


def is_orphaned(status: str, payer: str | None) -> bool:
    """An attempt in flight that no process is paying any more: its payer gave up on it
    (`unknown`: it never confirms after that) or has certainly ended (a crash)."""
    return status == AttemptStatus.UNKNOWN or (status in ATTEMPT_IN_FLIGHT and is_gone(payer))


REVIEW_BLOCKS = (
    "A payment for {number} could not be confirmed with Stripe and is waiting for the "
    "business to check it; it cannot be paid again until then."
)


def _check_open(rows: list, numbers: dict[int, str], reclaim: bool) -> None:
    """Refuse, or raise for the caller to settle first, the attempts open on the invoices."""
    orphans, waiting = [], []
    for invoice_id, status, attempt_id, payer in rows:
        if status == AttemptStatus.NEEDS_REVIEW:
            raise PaymentError(REVIEW_BLOCKS.format(number=numbers[invoice_id]))
        if reclaim and is_orphaned(status, payer):
            orphans.append(attempt_id)
        elif status in ATTEMPT_IN_FLIGHT:
            raise PaymentError(
                f"A payment for {numbers[invoice_id]} is already in progress; "
                "wait for it to finish."
            )
        else:
            waiting.append(attempt_id)
    if orphans:
        raise Orphaned(orphans)
    if waiting:
        raise PendingAction(waiting)


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
    row = ledger_sql.saved_card(client_id, card_id)
    return SavedCard(*row) if row else None


def over_card_maximum(amount: int, currency: str, numbers: list[str]) -> str:
    """Why one card payment cannot take this amount ("" when it can): Stripe refuses more."""
    most = card_maximum(currency)
    if amount <= most:
        return ""
    what = f"Together {', '.join(numbers)} come" if len(numbers) > 1 else f"{numbers[0]} comes"
    advice = "pay them one at a time" if len(numbers) > 1 else "it cannot be paid by card"
    return (
        f"{what} to {format_money(amount, currency)}, more than one card payment can take "
        f"({format_money(most, currency)}); {advice}."
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
    reclaim: bool = True,
) -> OpenedAttempt:
    """Step 1: check the card and the invoices are payable and free, then write the attempt.

    `reclaim`: an attempt for these invoices whose payer is gone (or gave up: `unknown`)
    raises `Orphaned`, for the caller to settle it and try again; without it, "in progress".
    """
    ids = sorted(set(invoice_ids))
    with write_lock():
        card = saved_card(client_id, card_id)
        if card is None:
            raise PaymentError("That card is not saved for this client.")
        invoices = ledger_sql.lock_invoices(ids)
        if len(invoices) != len(ids):
            raise PaymentError("That invoice does not exist.")
        for _, owner, number, status, total, paid, _ in invoices:
            if owner != client_id:
                raise PaymentError("That is not an invoice of this client.")  # never name theirs
            if status == InvoiceStatus.VOID:
                raise PaymentError(f"{number} is void; it cannot be paid.")
            if status == InvoiceStatus.DRAFT:
                raise PaymentError(f"{number} has not been sent yet.")
            if status == InvoiceStatus.PAID or total - paid <= 0:
                raise PaymentError(f"{number} is already paid.")
        if len({row[6] for row in invoices}) > 1:
            raise PaymentError("Invoices in different currencies must be paid separately.")
        numbers = {row[0]: row[2] for row in invoices}
        _check_open(ledger_sql.open_attempts(ids), numbers, reclaim)
        owed = [(row[0], row[4] - row[5]) for row in invoices]
        amount = sum(due for _, due in owed)
        currency = invoices[0][6]
        over = over_card_maximum(amount, currency, [row[2] for row in invoices])
        if over:
            raise PaymentError(over)
        if guard is not None:
            guard()  # the caller's last check, in this same lock (auto-bill: REC-05)
        key = f"paydesk-attempt-{new_key()}"
        now = utcnow()
        attempt_id = ledger_sql.insert_attempt(
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
                this_process(),
            )
        )
        ledger_sql.insert_items(attempt_id, owed)
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
    return ledger_sql.mark_submitted(attempt_id, intent_id, utcnow())


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
        claimed = ledger_sql.claim_success(attempt_id, intent_id, now)
        if claimed is None:  # already succeeded: set in the same transaction as the Payment
            first = Payment.get(Payment.attempt == attempt_id)
            return RecordedPayment(first.id, first.reference, first.amount, first.currency), False
        client_id, currency, stripe_pm_id = claimed
        if card_last4 is None:
            card = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == stripe_pm_id)
            card_brand, card_last4 = (card.brand, card.last4) if card else ("", "")
        reference = reference_for(attempt_id)
        payment_id = ledger_sql.insert_payment(
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
            )
        )
        ledger_sql.allocate(payment_id, attempt_id)
        ledger_sql.settle_invoices(attempt_id, now)
        audit(
            "system",
            "payment.succeeded",
            reference,
            {"amount": amount, "currency": currency, "intent": intent_id},
        )
        if also is not None:
            also(attempt_id)  # the caller's own record of this success, in this transaction
    return RecordedPayment(payment_id, reference, amount, currency), True
