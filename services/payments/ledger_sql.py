"""The paying path's hand-written statements (models.run_sql), used by `ledger`.

Written out because building them through Peewee's query compiler cost several times what
running them does (bench/pay.py). One function per statement; the transaction is the
caller's. Every status literal comes from models.states.
"""

from __future__ import annotations

from typing import Any

from models import placeholders, run_sql
from models.states import ATTEMPT_OPEN, AttemptStatus, InvoiceStatus, sql_list

_SAVED_CARD = (
    "SELECT pm.id, pm.stripe_pm_id, pm.brand, pm.last4, c.stripe_customer_id"
    " FROM payment_method pm JOIN client c ON c.id = pm.client_id"
    " WHERE pm.id = ? AND pm.client_id = ?"
)
_LOCK_INVOICES = (
    "SELECT id, client_id, number, status, total, amount_paid, currency FROM invoice"
    " WHERE id IN ({marks}) ORDER BY id FOR UPDATE"
)
# A statement of its own, after the invoices are locked: on PostgreSQL it then sees attempts
# committed while it waited for the lock (a subquery in the locking SELECT would read the
# snapshot taken before the wait).
_OPEN_ATTEMPTS = (
    "SELECT ai.invoice_id, a.status, a.id, a.owner FROM attempt_invoice ai"
    " JOIN payment_attempt a ON a.id = ai.attempt_id"
    " WHERE ai.invoice_id IN ({marks}) AND a.status IN " + sql_list(ATTEMPT_OPEN)
)
_NEW_ATTEMPT = (
    "INSERT INTO payment_attempt (client_id, idempotency_key, amount, currency,"
    " payment_method_id, stripe_pm_id, status, source, off_session, created_at, updated_at,"
    " owner)"
    f" VALUES (?, ?, ?, ?, ?, ?, {AttemptStatus.CREATED.sql}, ?, ?, ?, ?, ?) RETURNING id"
)
_NEW_ITEMS = "INSERT INTO attempt_invoice (attempt_id, invoice_id, amount) VALUES "
_SUBMITTED = (
    f"UPDATE payment_attempt SET status = {AttemptStatus.SUBMITTED.sql}, stripe_intent_id = ?,"
    " updated_at = ? WHERE id = ?"
    f" AND status IN {sql_list((AttemptStatus.CREATED, AttemptStatus.UNKNOWN))}"
    " AND stripe_intent_id IS NULL"
)
_CLAIM_SUCCESS = (
    f"UPDATE payment_attempt SET status = {AttemptStatus.SUCCEEDED.sql}, stripe_intent_id = ?,"
    " failure_code = NULL, decline_code = NULL, failure_message = NULL, updated_at = ?"
    f" WHERE id = ? AND status <> {AttemptStatus.SUCCEEDED.sql}"
    " RETURNING client_id, currency, stripe_pm_id"
)
_NEW_PAYMENT = (
    "INSERT INTO payment (client_id, attempt_id, reference, stripe_intent_id, amount,"
    " amount_refunded, currency, card_brand, card_last4, created_at)"
    " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id"
)
_ALLOCATE = (
    "INSERT INTO payment_allocation (payment_id, invoice_id, amount)"
    " SELECT ?, invoice_id, amount FROM attempt_invoice WHERE attempt_id = ?"
)
# The invoices' new paid amounts and statuses, as `services.invoices.invoices.status_for`
# computes them (void and draft keep their status; paid in full is paid; some paid is partial).
_KEPT = sql_list((InvoiceStatus.VOID, InvoiceStatus.DRAFT))
_PAID = "invoice.amount_paid + ai.amount"
_SETTLE_INVOICES = (
    f"UPDATE invoice SET amount_paid = {_PAID},"
    f" status = CASE WHEN invoice.status IN {_KEPT} THEN invoice.status"
    f" WHEN {_PAID} >= invoice.total THEN {InvoiceStatus.PAID.sql}"
    f" WHEN {_PAID} > 0 THEN {InvoiceStatus.PARTIAL.sql} ELSE {InvoiceStatus.SENT.sql} END,"
    f" paid_at = CASE WHEN invoice.status NOT IN {_KEPT}"
    f" AND {_PAID} >= invoice.total THEN ? ELSE invoice.paid_at END"
    " FROM attempt_invoice ai WHERE ai.invoice_id = invoice.id AND ai.attempt_id = ?"
)


def saved_card(client_id: int, card_id: int) -> Any:
    """(id, stripe_pm_id, brand, last4, customer id) of the client's card, or None."""
    return run_sql(_SAVED_CARD, (card_id, client_id)).fetchone()


def lock_invoices(ids: list[int]) -> list[Any]:
    """(id, client_id, number, status, total, amount_paid, currency) of each, locked."""
    return run_sql(_LOCK_INVOICES.format(marks=placeholders(len(ids))), ids).fetchall()


def open_attempts(ids: list[int]) -> list[Any]:
    """(invoice_id, status, attempt_id, owner) of the attempts for these invoices not settled
    yet."""
    return run_sql(_OPEN_ATTEMPTS.format(marks=placeholders(len(ids))), ids).fetchall()


def insert_attempt(values: tuple) -> int:
    """A new `created` attempt: (client_id, key, amount, currency, card id, pm id, source,
    off_session, created_at, updated_at, owner); returns its id."""
    (attempt_id,) = run_sql(_NEW_ATTEMPT, values).fetchone()
    return attempt_id


def insert_items(attempt_id: int, owed: list[tuple[int, int]]) -> None:
    """What the attempt pays of each invoice: (invoice_id, amount) pairs."""
    run_sql(
        _NEW_ITEMS + ", ".join(["(?, ?, ?)"] * len(owed)),
        [value for invoice_id, due in owed for value in (attempt_id, invoice_id, due)],
    )


def mark_submitted(attempt_id: int, intent_id: str, now: Any) -> bool:
    """`submitted` with its intent id, unless closed or given an intent meanwhile."""
    return run_sql(_SUBMITTED, (intent_id, now, attempt_id)).rowcount == 1


def claim_success(attempt_id: int, intent_id: str, now: Any) -> Any:
    """`succeeded`; (client_id, currency, stripe_pm_id), or None if it was already."""
    return run_sql(_CLAIM_SUCCESS, (intent_id, now, attempt_id)).fetchone()


def insert_payment(values: tuple) -> int:
    """A new Payment: (client_id, attempt_id, reference, intent id, amount, currency, brand,
    last4, created_at); returns its id."""
    (payment_id,) = run_sql(_NEW_PAYMENT, values).fetchone()
    return payment_id


def allocate(payment_id: int, attempt_id: int) -> None:
    """The payment's allocations: what the attempt paid of each invoice."""
    run_sql(_ALLOCATE, (payment_id, attempt_id))


def settle_invoices(attempt_id: int, now: Any) -> None:
    """Add the attempt's amounts to its invoices' paid amounts, and set their statuses."""
    run_sql(_SETTLE_INVOICES, (now, attempt_id))
