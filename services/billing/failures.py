"""What needs the owner's attention: auto-charges that failed or are being retried, and
emails that failed or were never confirmed (`paydesk failures`, the admin's failed-charges list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models import (
    AttemptInvoice,
    Client,
    EmailLog,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    utcnow,
)
from models.states import AttemptStatus, ChargeState, InvoiceStatus
from services.payments.ledger import reference_for

SETTLED = (InvoiceStatus.PAID, InvoiceStatus.VOID)

# What the owner can do about an auto-charge in each state that needs attention.
STEPS: dict[str, str] = {
    ChargeState.RETRY: "retry on {next}",
    ChargeState.ACTION_NEEDED: "client must pay in the kiosk (bank asked for confirmation)",
    ChargeState.DECLINED: "hard decline: never retried; client must pay or change card",
    ChargeState.EXHAUSTED: "no retries left; client must pay in the kiosk",
    ChargeState.NO_CARD: "client has no saved card",
    ChargeState.CHARGING: "outcome unknown; `paydesk run` reconciles it",
}

# Each state in words, for the `paydesk failures` table (its --json keeps the stored values).
STATE_WORDS: dict[str, str] = {
    ChargeState.RETRY: "retrying",
    ChargeState.ACTION_NEEDED: "action needed",
    ChargeState.DECLINED: "declined",
    ChargeState.EXHAUSTED: "retries done",
    ChargeState.NO_CARD: "no card",
    ChargeState.CHARGING: "charging",
    AttemptStatus.NEEDS_REVIEW: "needs review",
}


@dataclass(frozen=True)
class FailureView:
    """One row of `paydesk failures` (and the admin console's failed-charges list)."""

    kind: str  # charge | payment | email
    when: str
    client: str
    subject: str  # invoice number or email event
    state: str
    reason: str
    next_step: str

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state.replace("_", " "))


def review_step(reference: str) -> str:
    """What the owner does about a payment that needs review (here and in the console)."""
    return f"check Stripe, then `paydesk reconcile --resolve {reference} failed|succeeded`"


def needs_review(limit: int = 200) -> list[FailureView]:
    """Payments Stripe no longer knows (any source): the owner must say what happened."""
    rows = []
    for attempt in (
        PaymentAttempt.select(PaymentAttempt, Client)
        .join(Client)
        .where(PaymentAttempt.status == AttemptStatus.NEEDS_REVIEW)
        .order_by(PaymentAttempt.updated_at.desc())
        .limit(limit)
    ):
        numbers = [
            item.invoice.number
            for item in AttemptInvoice.select(AttemptInvoice, Invoice)
            .join(Invoice)
            .where(AttemptInvoice.attempt == attempt.id)
            .order_by(Invoice.id)
        ]
        reference = reference_for(attempt.id)
        rows.append(
            FailureView(
                "payment",
                f"{attempt.updated_at:%Y-%m-%d %H:%M}",
                attempt.client.name,
                ", ".join(numbers),
                AttemptStatus.NEEDS_REVIEW,
                attempt.failure_message or "",
                review_step(reference),
            )
        )
    return rows


# Mail-log event keys that name an invoice by id (services.billing.phases.email and
# charge_notices): shown by the invoice's number, with what the email was about.
_INVOICE_MAILS = {
    "invoice": "",
    "autobill-action": " (action needed)",
    "autobill-nocard": " (no card)",
    "autobill-failed": " (charge failed)",
}


def mail_subject(event_key: str) -> str:
    """What a failed email was about: `invoice:9` is the invoice's number ("INV-0009"),
    `autobill-failed:9:4` "INV-0009 (charge failed)"; any other key as it is."""
    kind, _, rest = event_key.partition(":")
    invoice_id = rest.split(":", 1)[0]
    if kind not in _INVOICE_MAILS or not invoice_id.isdigit():
        return event_key
    invoice = Invoice.get_or_none(Invoice.id == int(invoice_id))
    return f"{invoice.number}{_INVOICE_MAILS[kind]}" if invoice else event_key


def failures(limit: int = 200) -> list[FailureView]:
    """Payments that need review, every auto-charge that needs attention (or is being
    retried) and every failed email."""
    rows = needs_review(limit)
    reviewed = {row.subject for row in rows}  # its auto-charge row would say it again
    query = (
        InvoiceBilling.select(InvoiceBilling, Invoice, Client)
        .join(Invoice)
        .join(Client)
        .where(
            (
                InvoiceBilling.charge_state.in_(list(STEPS))
                | InvoiceBilling.email_error.is_null(False)
            )
            # Paid by any path (the kiosk, `paydesk pay`, a reconcile) or voided: the charge
            # needs no attention any more, whatever the billing row last recorded.
            & Invoice.status.not_in(SETTLED)
        )
        .order_by(InvoiceBilling.updated_at.desc())
        .limit(limit)
    )
    for row in query:
        inv = row.invoice
        if row.charge_state in STEPS and inv.number not in reviewed:
            rows.append(
                FailureView(
                    "charge",
                    f"{row.updated_at:%Y-%m-%d %H:%M}",
                    inv.client.name,
                    inv.number,
                    row.charge_state,
                    row.last_message or row.last_code or "",
                    STEPS[row.charge_state].format(next=row.next_try_on),
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
                mail_subject(mail.event_key),
                mail.status if mail.status == "failed" else "unconfirmed",
                mail.last_error or "delivery not confirmed (process stopped while sending)",
                email_step(
                    mail.status, f"{mail.next_at:%Y-%m-%d %H:%M} UTC" if mail.next_at else ""
                ),
            )
        )
    return rows


def email_step(status: str, retry_at: str) -> str:
    """What happens next to an email that failed (`retry_at`: when the run tries it again,
    "" once it gave up) or whose delivery was never confirmed."""
    if status != "failed":
        return "check the mail server's log; resend it from the console's Outbox (F8)"
    if not retry_at:
        return "tried too often: resend it from the console's Outbox (F8) once the address is right"
    return f"retried by `paydesk run` after {retry_at}, or resend it from the Outbox (F8)"
