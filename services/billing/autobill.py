"""Auto-charging recurring invoices through the one exactly-once payment path, and dunning.

Each due invoice is charged with `PaymentService.pay(..., source="autobill",
off_session=True, guard=...)`. The guard runs inside pay()'s write-lock transaction, before
the attempt row is written: it re-reads the client's auto-bill choice and claims the
invoice's billing row (`scheduled`/`retry` → `charging`, one more try). The claim and the
attempt commit together or not at all, so a client who turns auto-billing off a minute
before the run is never charged, and two runs never charge one invoice twice.

Declines follow a stated schedule (DUN-01/02):
* hard declines (stolen/lost card, invalid account, do-not-honor, … as Stripe classifies
  them) are never retried;
* `authentication_required` (and a `requires_action` answer) becomes "action needed": one
  email asking the client to pay in the kiosk, no more automatic attempts;
* soft declines are retried `retry_days` after the first decline (default 1, 3 and 7 days),
  then the invoice is left to the client ("exhausted").
A gateway failure (the charge never reached the card) is not a decline: the next pass tries
again with no email. Every failure emails the client once per attempt and is listed by
`paydesk failures`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from models import (
    AttemptInvoice,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    RecurringInvoice,
    lock_rows,
    utcnow,
    write_lock,
)
from models.states import (
    ATTEMPT_IN_FLIGHT,
    CHARGE_WAITING_STATES,
    AttemptStatus,
    ChargeState,
    InvoiceStatus,
)
from services.billing.autobill_sql import claim, client_and_card, lock_claimable, mark_paid
from services.billing.policy import OWED, autobill_effective, invoice_autobill_on
from services.config import RunSettings
from services.payments.declines import classify
from services.payments.ledger import PaymentError

log = logging.getLogger("paydesk.autobill")

DEFAULT_RETRY_DAYS = RunSettings().retry_days


class AutobillSkipped(Exception):
    """Raised by the guard inside pay()'s lock: do not charge (reason in `state`)."""

    def __init__(self, state: str, message: str):
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Outcome:
    """What one auto-charge did, for the summary and the emails."""

    invoice_id: int
    kind: str  # charged | declined | retry | exhausted | action_needed | no_card | skipped |
    #            disabled | pending | gateway
    attempt_id: int | None = None
    code: str | None = None
    message: str = ""
    next_try_on: date | None = None


def charge_due(today: date):
    """Billing rows whose charge (or retry) is due on `today`, oldest first."""
    return (
        InvoiceBilling.select(InvoiceBilling, Invoice)
        .join(Invoice)
        .where(
            Invoice.status.in_(OWED)
            & (Invoice.total > Invoice.amount_paid)
            & (
                (
                    (InvoiceBilling.charge_state == ChargeState.SCHEDULED)
                    & (InvoiceBilling.charge_on <= today)
                )
                | (
                    (InvoiceBilling.charge_state == ChargeState.RETRY)
                    & (InvoiceBilling.next_try_on <= today)
                )
            )
        )
        .order_by(InvoiceBilling.charge_on, InvoiceBilling.id)
    )


def make_guard(invoice_id: int, today: date):
    """The check pay() runs inside its lock, just before it writes the attempt."""

    def guard() -> None:
        row = lock_claimable(invoice_id)
        if row is None:
            raise AutobillSkipped("skipped", "already handled by another run")
        if row.state == ChargeState.DISABLED:
            raise AutobillSkipped("disabled", "auto-billing is off for this invoice")
        if row.state not in CHARGE_WAITING_STATES:
            raise AutobillSkipped("skipped", "already handled by another run")
        when = row.next_try_on if row.state == ChargeState.RETRY else row.charge_on
        if when is None or when > today:
            raise AutobillSkipped("skipped", "not due yet")
        in_series = row.recurring_id is not None
        if not invoice_autobill_on(in_series, row.mode, row.client_choice, row.own_flag):
            raise AutobillSkipped("disabled", "auto-billing is off for this invoice")
        claim(row.row_id)

    return guard


def latest_autobill_attempt(invoice_id: int) -> PaymentAttempt | None:
    return (
        PaymentAttempt.select()
        .join(AttemptInvoice)
        .where((AttemptInvoice.invoice == invoice_id) & (PaymentAttempt.source == "autobill"))
        .order_by(PaymentAttempt.id.desc())
        .first()
    )


class Autobiller:
    """Charges due invoices, records each outcome, and schedules or stops retries."""

    def __init__(self, payments, retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS):
        self.payments = payments
        self.retry_days = tuple(retry_days)

    def charge(self, invoice_id: int, today: date) -> Outcome:
        client_id, card_id = client_and_card(invoice_id)
        if card_id is None:
            return self._no_card(invoice_id, today)
        marked: list[bool] = []
        try:
            result = self.payments.pay(
                client_id,
                [invoice_id],
                card_id,
                source="autobill",
                actor="system:autobill",
                off_session=True,
                guard=make_guard(invoice_id, today),
                on_paid=lambda attempt_id: marked.append(mark_paid(invoice_id, attempt_id)),
            )
        except AutobillSkipped as skipped:
            if skipped.state == "disabled":
                InvoiceBilling.update(charge_state=ChargeState.DISABLED, updated_at=utcnow()).where(
                    (InvoiceBilling.invoice == invoice_id)
                    & InvoiceBilling.charge_state.in_(CHARGE_WAITING_STATES)
                ).execute()
            return Outcome(invoice_id, skipped.state, message=str(skipped))
        except PaymentError as exc:  # paid, void or in flight elsewhere; the next pass looks
            self.settle_paid(invoice_id)
            return Outcome(invoice_id, "skipped", message=str(exc))
        if result.status == AttemptStatus.SUCCEEDED:
            if not marked:  # the success was recorded by another path (a reconciler)
                marked.append(mark_paid(invoice_id, result.attempt_id))
            # Not `charging` any more: another pass recorded it already; nothing twice.
            return Outcome(invoice_id, "charged" if marked[0] else "skipped", result.attempt_id)
        return self.record(invoice_id, result.attempt_id, today)

    def record(self, invoice_id: int, attempt_id: int | None, today: date) -> Outcome:
        """Move the billing row on from what the attempt's final status says."""
        attempt = (
            PaymentAttempt.get_or_none(PaymentAttempt.id == attempt_id) if attempt_id else None
        )
        if attempt is None:
            return Outcome(invoice_id, "pending")
        kind = classify(attempt.status, attempt.failure_code, attempt.decline_code)
        code = attempt.decline_code or attempt.failure_code
        message = attempt.failure_message or ""
        if kind == "charged":  # not `charging` any more: recorded already, nothing twice
            moved = mark_paid(invoice_id, attempt.id)
            return Outcome(invoice_id, "charged" if moved else "skipped", attempt.id, code, message)
        with write_lock():
            row = lock_rows(
                InvoiceBilling.select().where(InvoiceBilling.invoice == invoice_id)
            ).get()
            if row.charge_state != ChargeState.CHARGING:
                # Another pass recorded it already: report what it decided, do nothing twice.
                return Outcome(invoice_id, "skipped", attempt.id, code, message)
            fields: dict = {
                "last_attempt_id": attempt.id,
                "last_code": code,
                "last_message": message,
                "updated_at": utcnow(),
            }
            next_try = None
            if kind == "pending":
                fields["charge_state"] = ChargeState.CHARGING
                result = "pending"
            elif kind == "action_needed":
                fields["charge_state"] = ChargeState.ACTION_NEEDED
                result = "action_needed"
            elif kind == "hard":
                fields["charge_state"] = ChargeState.DECLINED
                result = "declined"
            elif kind == "gateway":
                # Not a decline: back to waiting, this try not counted.
                fields["charge_state"] = (
                    ChargeState.RETRY if row.first_failed_on else ChargeState.SCHEDULED
                )
                fields["tries"] = max(0, row.tries - 1)
                result = "gateway"
            else:
                first = row.first_failed_on or today
                fields["first_failed_on"] = first
                retries_done = row.tries - 1  # the first try is not a retry
                if retries_done < len(self.retry_days):
                    next_try = max(first + timedelta(days=self.retry_days[retries_done]), today)
                    if next_try <= today:
                        next_try = today + timedelta(days=1)
                    fields["charge_state"] = ChargeState.RETRY
                    fields["next_try_on"] = next_try
                    result = "retry"
                else:
                    fields["charge_state"] = ChargeState.EXHAUSTED
                    fields["next_try_on"] = None
                    result = "exhausted"
            InvoiceBilling.update(**fields).where(InvoiceBilling.id == row.id).execute()
        return Outcome(invoice_id, result, attempt.id, code, message, next_try)

    def settle_charging(self, today: date) -> list[Outcome]:
        """Finish rows left `charging` by a crash once their attempt is settled (reconcile)."""
        outcomes = []
        for row in InvoiceBilling.select().where(
            InvoiceBilling.charge_state == ChargeState.CHARGING
        ):
            attempt = latest_autobill_attempt(row.invoice_id)
            if attempt is None:
                # The claim always commits with its attempt; nothing to finish. Be safe.
                InvoiceBilling.update(charge_state=ChargeState.SCHEDULED).where(
                    (InvoiceBilling.id == row.id)
                    & (InvoiceBilling.charge_state == ChargeState.CHARGING)
                ).execute()
                continue
            if attempt.status in ATTEMPT_IN_FLIGHT or attempt.status == AttemptStatus.NEEDS_REVIEW:
                continue  # still charging, or until the owner resolves it: never charged again
            outcomes.append(self.record(row.invoice_id, attempt.id, today))
        return outcomes

    def settle_paid(self, invoice_id: int) -> None:
        """An invoice paid some other way (kiosk, owner) needs no auto-charge any more."""
        inv = Invoice.get_by_id(invoice_id)
        if (
            inv.status in (InvoiceStatus.PAID, InvoiceStatus.VOID)
            or inv.total - inv.amount_paid <= 0
        ):
            InvoiceBilling.update(charge_state=ChargeState.PAID, updated_at=utcnow()).where(
                (InvoiceBilling.invoice == invoice_id)
                & InvoiceBilling.charge_state.in_(CHARGE_WAITING_STATES)
            ).execute()

    def _no_card(self, invoice_id: int, today: date) -> Outcome:
        with write_lock():
            row = lock_rows(
                InvoiceBilling.select().where(InvoiceBilling.invoice == invoice_id)
            ).get()
            if row.charge_state not in CHARGE_WAITING_STATES:
                return Outcome(invoice_id, "skipped")
            rec = RecurringInvoice.get_or_none(RecurringInvoice.id == row.recurring_id)
            if rec is not None and not autobill_effective(rec.autobill_mode, rec.client_autobill):
                InvoiceBilling.update(charge_state=ChargeState.DISABLED, updated_at=utcnow()).where(
                    InvoiceBilling.id == row.id
                ).execute()
                return Outcome(invoice_id, "disabled")
            InvoiceBilling.update(
                charge_state=ChargeState.NO_CARD,
                last_code="no_card",
                last_message="No saved card to charge.",
                updated_at=utcnow(),
            ).where(InvoiceBilling.id == row.id).execute()
        return Outcome(invoice_id, "no_card", code="no_card", message="No saved card to charge.")


__all__ = [
    "AutobillSkipped",
    "Autobiller",
    "Outcome",
    "charge_due",
    "classify",
]
