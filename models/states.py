"""The states an invoice, a payment attempt, an invoice's auto-charge and a refund can be in.

Each is a `StrEnum`: stored as its plain value, equal to that string, and the one place hand-written
SQL takes its literals from (`State.X.sql`, or `sql_list(...)` for an `IN (…)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class SqlState(StrEnum):
    """A state whose values appear in hand-written SQL as quoted literals."""

    @property
    def sql(self) -> str:
        return f"'{self.value}'"


def sql_list(states: Iterable[SqlState]) -> str:
    """`('a', 'b')` for an `IN` clause."""
    return "(" + ", ".join(state.sql for state in states) + ")"


class InvoiceStatus(SqlState):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    PAID = "paid"
    VOID = "void"


class AttemptStatus(SqlState):
    """A payment attempt in the ledger (DESIGN.md §5)."""

    CREATED = "created"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REQUIRES_ACTION = "requires_action"
    UNKNOWN = "unknown"
    # Stripe no longer knows its PaymentIntent (404): whether the card was charged is for the
    # owner to find out; `paydesk reconcile --resolve` settles it. Never charged again meanwhile.
    NEEDS_REVIEW = "needs_review"


class ChargeState(SqlState):
    """What the billing run is doing about charging one invoice.

    none: no auto-billing · scheduled: waits for charge_on · charging: an attempt is in flight ·
    retry: a soft decline, waits for next_try_on · paid · disabled: the client turned auto-billing
    off · action_needed: the bank wants the client (3-D Secure) · declined: a hard decline, never
    retried · exhausted: soft declines ran out of retries · no_card.
    """

    NONE = "none"
    SCHEDULED = "scheduled"
    CHARGING = "charging"
    RETRY = "retry"
    PAID = "paid"
    DISABLED = "disabled"
    ACTION_NEEDED = "action_needed"
    DECLINED = "declined"
    EXHAUSTED = "exhausted"
    NO_CARD = "no_card"


class RefundStatus(SqlState):
    CREATED = "created"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


# An attempt in one of these may still charge: no second attempt may start beside it.
ATTEMPT_IN_FLIGHT = (AttemptStatus.CREATED, AttemptStatus.SUBMITTED, AttemptStatus.UNKNOWN)
# What the reconciler asks Stripe about: in flight, or waiting for the client's 3-D Secure.
ATTEMPT_SETTLEABLE = (*ATTEMPT_IN_FLIGHT, AttemptStatus.REQUIRES_ACTION)
# Not settled yet (no new payment of its invoices may start): also those the owner must review.
ATTEMPT_OPEN = (*ATTEMPT_SETTLEABLE, AttemptStatus.NEEDS_REVIEW)
# A refund in one of these may still move money at Stripe.
REFUND_PENDING = (RefundStatus.CREATED, RefundStatus.UNKNOWN)
CHARGE_WAITING_STATES = (ChargeState.SCHEDULED, ChargeState.RETRY)
CHARGE_FAILED_STATES = (
    ChargeState.ACTION_NEEDED,
    ChargeState.DECLINED,
    ChargeState.EXHAUSTED,
    ChargeState.NO_CARD,
)
