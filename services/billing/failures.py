"""What needs the owner's attention: auto-charges that failed or are being retried, and
emails that failed or were never confirmed (`paydesk failures`, the admin's failed-charges list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models import Client, EmailLog, Invoice, InvoiceBilling, utcnow
from models.states import ChargeState

# What the owner can do about an auto-charge in each state that needs attention.
STEPS: dict[str, str] = {
    ChargeState.RETRY: "retry on {next}",
    ChargeState.ACTION_NEEDED: "client must pay in the kiosk (bank asked for confirmation)",
    ChargeState.DECLINED: "hard decline: never retried; client must pay or change card",
    ChargeState.EXHAUSTED: "no retries left; client must pay in the kiosk",
    ChargeState.NO_CARD: "client has no saved card",
    ChargeState.CHARGING: "outcome unknown; `paydesk run` reconciles it",
}


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
    rows: list[FailureView] = []
    query = (
        InvoiceBilling.select(InvoiceBilling, Invoice, Client)
        .join(Invoice)
        .join(Client)
        .where(
            InvoiceBilling.charge_state.in_(list(STEPS)) | InvoiceBilling.email_error.is_null(False)
        )
        .order_by(InvoiceBilling.updated_at.desc())
        .limit(limit)
    )
    for row in query:
        inv = row.invoice
        if row.charge_state in STEPS:
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
                mail.event_key,
                mail.status if mail.status == "failed" else "unconfirmed",
                mail.last_error or "delivery not confirmed (process stopped while sending)",
                "retried on the next `paydesk run`"
                if mail.status == "failed"
                else "check the mail server's log",
            )
        )
    return rows
