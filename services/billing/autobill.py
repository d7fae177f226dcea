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
    CHARGE_WAITING,
    AttemptInvoice,
    Business,
    Client,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    RecurringInvoice,
    lock_rows,
    run_sql,
    utcnow,
    write_lock,
)
from services.billing.recurring import autobill_effective, card_label
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
            Invoice.status.in_(("sent", "partial"))
            & (Invoice.total > Invoice.amount_paid)
            & (
                ((InvoiceBilling.charge_state == "scheduled") & (InvoiceBilling.charge_on <= today))
                | ((InvoiceBilling.charge_state == "retry") & (InvoiceBilling.next_try_on <= today))
            )
        )
        .order_by(InvoiceBilling.charge_on, InvoiceBilling.id)
    )


# The billing row with the auto-bill choice it depends on (the recurring invoice's mode and
# the client's switch, or the invoice's own flag), locked for the claim. Written out, like the
# paying path's statements (models.run_sql), because it runs once per charge.
_CLAIMABLE = (
    "SELECT ib.id, ib.charge_state, ib.charge_on, ib.next_try_on, ib.recurring_id,"
    " r.autobill_mode, r.client_autobill, i.autobill"
    " FROM invoice_billing ib JOIN invoice i ON i.id = ib.invoice_id"
    " LEFT JOIN recurring_invoice r ON r.id = ib.recurring_id"
    " WHERE ib.invoice_id = ? FOR UPDATE OF ib"
)
_as_date = InvoiceBilling.charge_on.python_value


def make_guard(invoice_id: int, today: date):
    """The check pay() runs inside its lock, just before it writes the attempt."""

    def guard() -> None:
        row = run_sql(_CLAIMABLE, (invoice_id,)).fetchone()
        if row is None:
            raise AutobillSkipped("skipped", "already handled by another run")
        row_id, state, charge_on, next_try_on, recurring_id, mode, client_choice, own = row
        if state == "disabled":
            raise AutobillSkipped("disabled", "auto-billing is off for this invoice")
        if state not in CHARGE_WAITING:
            raise AutobillSkipped("skipped", "already handled by another run")
        when = _as_date(next_try_on if state == "retry" else charge_on)
        if when is None or when > today:
            raise AutobillSkipped("skipped", "not due yet")
        if recurring_id is not None:
            on = mode is not None and autobill_effective(mode, bool(client_choice))
        else:
            on = bool(own)
        if not on:
            raise AutobillSkipped("disabled", "auto-billing is off for this invoice")
        run_sql(
            "UPDATE invoice_billing SET charge_state = 'charging', tries = tries + 1,"
            " updated_at = ? WHERE id = ?",
            (utcnow(), row_id),
        )

    return guard


def latest_autobill_attempt(invoice_id: int) -> PaymentAttempt | None:
    return (
        PaymentAttempt.select()
        .join(AttemptInvoice)
        .where((AttemptInvoice.invoice == invoice_id) & (PaymentAttempt.source == "autobill"))
        .order_by(PaymentAttempt.id.desc())
        .first()
    )


# The invoice's client and the card auto-billing uses (the default, else the newest).
_CLIENT_AND_CARD = (
    "SELECT i.client_id, (SELECT pm.id FROM payment_method pm WHERE pm.client_id = i.client_id"
    " ORDER BY pm.is_default DESC, pm.id DESC LIMIT 1) FROM invoice i WHERE i.id = ?"
)


def _mark_paid(invoice_id: int, attempt_id: int | None) -> bool:
    """What `Autobiller.record()` does for a charge that succeeded: one conditional UPDATE.

    Run by pay() inside the transaction that records the Payment, so the billing row and the
    payment commit together. False if the row was not `charging` (recorded already).
    """
    return bool(
        run_sql(
            "UPDATE invoice_billing SET charge_state = 'paid', last_attempt_id = ?,"
            " last_code = NULL, last_message = '', updated_at = ?"
            " WHERE invoice_id = ? AND charge_state = 'charging'",
            (attempt_id, utcnow(), invoice_id),
        ).rowcount
    )


class Autobiller:
    """Charges due invoices, records each outcome, and schedules or stops retries."""

    def __init__(self, payments, retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS):
        self.payments = payments
        self.retry_days = tuple(retry_days)

    def charge(self, invoice_id: int, today: date) -> Outcome:
        client_id, card_id = run_sql(_CLIENT_AND_CARD, (invoice_id,)).fetchone()
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
                on_paid=lambda attempt_id: marked.append(_mark_paid(invoice_id, attempt_id)),
            )
        except AutobillSkipped as skipped:
            if skipped.state == "disabled":
                InvoiceBilling.update(charge_state="disabled", updated_at=utcnow()).where(
                    (InvoiceBilling.invoice == invoice_id)
                    & InvoiceBilling.charge_state.in_(CHARGE_WAITING)
                ).execute()
            return Outcome(invoice_id, skipped.state, message=str(skipped))
        except PaymentError as exc:  # paid, void or in flight elsewhere; the next pass looks
            self.settle_paid(invoice_id)
            return Outcome(invoice_id, "skipped", message=str(exc))
        if result.status == "succeeded":
            if not marked:  # the success was recorded by another path (a reconciler)
                marked.append(_mark_paid(invoice_id, result.attempt_id))
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
            moved = _mark_paid(invoice_id, attempt.id)
            return Outcome(invoice_id, "charged" if moved else "skipped", attempt.id, code, message)
        with write_lock():
            row = lock_rows(
                InvoiceBilling.select().where(InvoiceBilling.invoice == invoice_id)
            ).get()
            if row.charge_state != "charging":
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
                fields["charge_state"] = "charging"
                result = "pending"
            elif kind == "action_needed":
                fields["charge_state"] = "action_needed"
                result = "action_needed"
            elif kind == "hard":
                fields["charge_state"] = "declined"
                result = "declined"
            elif kind == "gateway":
                # Not a decline: back to waiting, this try not counted.
                fields["charge_state"] = "retry" if row.first_failed_on else "scheduled"
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
                    fields["charge_state"] = "retry"
                    fields["next_try_on"] = next_try
                    result = "retry"
                else:
                    fields["charge_state"] = "exhausted"
                    fields["next_try_on"] = None
                    result = "exhausted"
            InvoiceBilling.update(**fields).where(InvoiceBilling.id == row.id).execute()
        return Outcome(invoice_id, result, attempt.id, code, message, next_try)

    def settle_charging(self, today: date) -> list[Outcome]:
        """Finish rows left `charging` by a crash once their attempt is settled (reconcile)."""
        outcomes = []
        for row in InvoiceBilling.select().where(InvoiceBilling.charge_state == "charging"):
            attempt = latest_autobill_attempt(row.invoice_id)
            if attempt is None:
                # The claim always commits with its attempt; nothing to finish. Be safe.
                InvoiceBilling.update(charge_state="scheduled").where(
                    (InvoiceBilling.id == row.id) & (InvoiceBilling.charge_state == "charging")
                ).execute()
                continue
            if attempt.status in ("created", "submitted", "unknown"):
                continue
            outcomes.append(self.record(row.invoice_id, attempt.id, today))
        return outcomes

    def settle_paid(self, invoice_id: int) -> None:
        """An invoice paid some other way (kiosk, owner) needs no auto-charge any more."""
        inv = Invoice.get_by_id(invoice_id)
        if inv.status == "paid" or inv.total - inv.amount_paid <= 0 or inv.status == "void":
            InvoiceBilling.update(charge_state="paid", updated_at=utcnow()).where(
                (InvoiceBilling.invoice == invoice_id)
                & InvoiceBilling.charge_state.in_(CHARGE_WAITING)
            ).execute()

    def _no_card(self, invoice_id: int, today: date) -> Outcome:
        with write_lock():
            row = lock_rows(
                InvoiceBilling.select().where(InvoiceBilling.invoice == invoice_id)
            ).get()
            if row.charge_state not in CHARGE_WAITING:
                return Outcome(invoice_id, "skipped")
            rec = RecurringInvoice.get_or_none(RecurringInvoice.id == row.recurring_id)
            if rec is not None and not autobill_effective(rec.autobill_mode, rec.client_autobill):
                InvoiceBilling.update(charge_state="disabled", updated_at=utcnow()).where(
                    InvoiceBilling.id == row.id
                ).execute()
                return Outcome(invoice_id, "disabled")
            InvoiceBilling.update(
                charge_state="no_card",
                last_code="no_card",
                last_message="No saved card to charge.",
                updated_at=utcnow(),
            ).where(InvoiceBilling.id == row.id).execute()
        return Outcome(invoice_id, "no_card", code="no_card", message="No saved card to charge.")


@dataclass(frozen=True)
class FailureView:
    """One row of `paydesk failures` (and the admin console's failed-charges list)."""

    kind: str  # charge | email
    when: str
    client: str
    subject: str  # invoice number or email event
    state: str
    reason: str
    next_step: str


def failures(limit: int = 200) -> list[FailureView]:
    """Every auto-charge that needs attention (or is being retried) and every failed email."""
    from models import EmailLog

    rows: list[FailureView] = []
    query = (
        InvoiceBilling.select(InvoiceBilling, Invoice, Client)
        .join(Invoice)
        .join(Client)
        .where(
            InvoiceBilling.charge_state.in_(
                ("retry", "action_needed", "declined", "exhausted", "no_card")
            )
            | (InvoiceBilling.charge_state == "charging")
            | InvoiceBilling.email_error.is_null(False)
        )
        .order_by(InvoiceBilling.updated_at.desc())
        .limit(limit)
    )
    steps = {
        "retry": "retry on {next}",
        "action_needed": "client must pay in the kiosk (bank asked for confirmation)",
        "declined": "hard decline: never retried; client must pay or change card",
        "exhausted": "no retries left; client must pay in the kiosk",
        "no_card": "client has no saved card",
        "charging": "outcome unknown; `paydesk run` reconciles it",
    }
    for row in query:
        inv = row.invoice
        if row.charge_state in steps:
            rows.append(
                FailureView(
                    "charge",
                    f"{row.updated_at:%Y-%m-%d %H:%M}",
                    inv.client.name,
                    inv.number,
                    row.charge_state,
                    row.last_message or row.last_code or "",
                    steps[row.charge_state].format(next=row.next_try_on),
                )
            )
    for mail in (
        EmailLog.select()
        .where(EmailLog.status.in_(("failed", "pending")))
        .order_by(EmailLog.id.desc())
        .limit(limit)
    ):
        stale = mail.status == "pending" and mail.created_at < utcnow() - timedelta(minutes=10)
        if mail.status == "pending" and not stale:
            continue
        rows.append(
            FailureView(
                "email",
                f"{mail.created_at:%Y-%m-%d %H:%M}",
                mail.to,
                mail.event_key,
                mail.status if mail.status == "failed" else "unconfirmed",
                mail.last_error or "delivery not confirmed (process stopped while sending)",
                "retried on the next `paydesk run`"
                if mail.status == "failed"
                else "check the mail server's log",
            )
        )
    return rows


def business_of(invoice: Invoice) -> Business:
    return Business.get_by_id(invoice.business_id)


__all__ = [
    "AutobillSkipped",
    "Autobiller",
    "FailureView",
    "Outcome",
    "card_label",
    "charge_due",
    "classify",
    "failures",
]
