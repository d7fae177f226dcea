"""The charge phase's emails: one per failed attempt, one per action-needed or no-card invoice.

Driven by the billing rows, not by this pass's outcomes, so an email a crash interrupted is
sent by the next pass; event keys keep each one to a single email.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import formataddr

from models import (
    Business,
    EmailLog,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    PaymentMethod,
    utcnow,
)
from models.states import ChargeState
from services.accounts.access_codes import AccessCodeService
from services.billing.policy import default_card, saved_card_label
from services.emails.billing import (
    Door,
    action_needed_email,
    charge_failed_email,
    no_card_email,
)

# The states a client hears about, and for how long after the row last changed.
NOTIFIED = (
    ChargeState.RETRY,
    ChargeState.EXHAUSTED,
    ChargeState.DECLINED,
    ChargeState.ACTION_NEEDED,
    ChargeState.NO_CARD,
)
RECENT = timedelta(days=30)


def event_key(row: InvoiceBilling) -> str:
    """The email's event key: one per invoice (action needed, no card) or per attempt."""
    if row.charge_state == ChargeState.ACTION_NEEDED:
        return f"autobill-action:{row.invoice_id}"
    if row.charge_state == ChargeState.NO_CARD:
        return f"autobill-nocard:{row.invoice_id}"
    return f"autobill-failed:{row.invoice_id}:{row.last_attempt_id}"


class FailureNotices:
    """Emails the client about each auto-charge that failed or needs them."""

    def __init__(self, invoices, mailer, door: Door) -> None:
        self.invoices = invoices
        self.mailer = mailer
        self.door = door

    def send(self) -> int:
        """Send the emails not sent yet; returns how many failed."""
        failed = 0
        rows = InvoiceBilling.select().where(
            InvoiceBilling.charge_state.in_(NOTIFIED)
            & (InvoiceBilling.updated_at >= utcnow() - RECENT)
        )
        for row in rows:
            key = event_key(row)
            if EmailLog.select().where(EmailLog.event_key == key).exists():
                continue
            if not self._send(row, key):
                failed += int(
                    EmailLog.select()
                    .where((EmailLog.event_key == key) & (EmailLog.status == "failed"))
                    .exists()
                )
        return failed

    def _send(self, row: InvoiceBilling, key: str) -> bool:
        detail = self.invoices.get(row.invoice_id)
        inv = Invoice.get_by_id(row.invoice_id)
        business = Business.get_by_id(inv.business_id)
        label = saved_card_label(default_card(inv.client_id))
        attempt = (
            PaymentAttempt.get_or_none(PaymentAttempt.id == row.last_attempt_id)
            if row.last_attempt_id
            else None
        )
        if attempt is not None and attempt.payment_method_id:
            used = PaymentMethod.get_or_none(PaymentMethod.id == attempt.payment_method_id)
            label = saved_card_label(used) or label
        if row.charge_state == ChargeState.ACTION_NEEDED:
            # a fresh [View Invoice] code: its page finishes the payment (3-D Secure)
            code = AccessCodeService().create(detail.id)
            message = action_needed_email(detail, label, self.door, code)
        elif row.charge_state == ChargeState.NO_CARD:
            message = no_card_email(detail, self.door)
        else:
            message = charge_failed_email(
                detail,
                label,
                row.last_message or "the card was declined",
                self.door,
                row.next_try_on if row.charge_state == ChargeState.RETRY else None,
                final=row.charge_state == ChargeState.EXHAUSTED,
            )
        return bool(
            self.mailer.send(
                detail.client.email,
                message.subject,
                message.text,
                message.html,
                event_key=key,
                sender=formataddr((business.name, business.billing_email)),
            )
        )
