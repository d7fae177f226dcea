"""The console's outbox: the list, one email, resend and cancel (audited as the owner).

Resend is a new delivery, never a change of the record of what happened:
* a failed or cancelled email kept on disk is delivered again now, as it was (one more
  attempt on its row);
* an invoice's email is sent again as `paydesk invoice send` does (a copy with a new
  [View Invoice] code and the PDF: the old code is hashed, it cannot be written again);
* any other email whose text holds no code goes again as a new email, its text as kept;
* one that carried another one-time code (a password recovery) is not: the client asks
  for a new code.
Cancel stops a queued or retrying email from being tried again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import EmailLog, EmailText, utcnow
from services.audit import audit
from services.console.outbox import (
    NoSuchEmail,
    OutboxEmail,
    OutboxPage,
    OutboxQuery,
    outbox_email,
    outbox_page,
)
from services.errors import PaydeskError

if TYPE_CHECKING:
    from models import Business
    from services.container import Services
    from services.doors.admin import AdminActor

INVOICE_KEY_KINDS = ("invoice",)  # `invoice:<id>` and its copies `invoice:<id>:copy:…`


class OutboxRefused(PaydeskError):
    """The email cannot be resent or cancelled as it is now (said in one line)."""


@dataclass(frozen=True)
class Resent:
    """What a resend did: went out now or not (the error), and the email that went."""

    sent: bool
    email_id: int
    message: str


class AdminOutbox:
    """What the Outbox section asks of the services, for one owner (`who`)."""

    def __init__(self, services: Services, who: AdminActor, business: Business) -> None:
        self._services = services
        self.who = who
        self.business = business

    def page(self, ask: OutboxQuery | None = None, offset: int = 0, limit: int = 50) -> OutboxPage:
        return outbox_page(self.business.timezone, ask or OutboxQuery(), offset, limit)

    def email(self, email_id: int) -> OutboxEmail:
        return outbox_email(email_id)

    def cancel(self, email_id: int) -> OutboxEmail:
        """Stop a queued or retrying email: one conditional UPDATE, so a sender that took it
        first wins and the owner is told."""
        before = outbox_email(email_id)
        waiting = (EmailLog.status == "queued") | (
            (EmailLog.status == "failed") & EmailLog.next_at.is_null(False)
        )
        done = (
            EmailLog.update(status="cancelled", next_at=None, last_error="cancelled by the owner")
            .where((EmailLog.id == email_id) & waiting)
            .execute()
        )
        if done != 1:
            raise OutboxRefused("It is no longer waiting to be sent: nothing was cancelled.")
        self._audit("email.cancelled", before, {"was": before.row.state})
        return outbox_email(email_id)

    def resend(self, email_id: int) -> Resent:
        """A new delivery of the email (see the module's docstring); audited."""
        before = outbox_email(email_id)
        if not before.can_resend:
            raise OutboxRefused("It is being sent right now; wait for the outcome.")
        mailer = self._services.mailer
        row = before.row
        if row.state in ("queued", "retrying", "failed", "cancelled") and mailer.has_kept(email_id):
            sent = mailer.send_queued(email_id)
            return self._resent(before, sent, email_id, "again")
        invoice_id = _invoice_of(before.event_key)
        if invoice_id is not None:
            outcome = self._services.admin(self.who).invoices.send(invoice_id)
            new = (
                EmailLog.select(EmailLog.id)
                .where(EmailLog.event_key.startswith(f"invoice:{invoice_id}"))
                .order_by(EmailLog.id.desc())
                .first()
            )
            note = "" if outcome.sent else outcome.error
            return self._resent(before, outcome.sent, new.id if new else email_id, "invoice", note)
        if before.text is None or before.masked:
            raise OutboxRefused(
                "It carried a one-time code, kept hidden: it is not sent again. "
                "The client asks for a new code."
            )
        stamp = utcnow().strftime("%Y%m%dT%H%M%S.%f")
        text = EmailText.get_by_id(email_id).text
        new_id = mailer.queue(row.to, row.subject, text, f"{before.event_key}:resend:{stamp}")
        return self._resent(before, mailer.send_queued(new_id), new_id, "copy")

    def _resent(
        self, before: OutboxEmail, sent: bool, new_id: int, how: str, error: str = ""
    ) -> Resent:
        self._audit("email.resent", before, {"how": how, "as": new_id, "sent": sent})
        if sent:
            return Resent(True, new_id, f"Sent to {before.row.to}.")
        after = EmailLog.get_or_none(EmailLog.id == new_id)
        why = error or (after.last_error if after is not None else "") or "not sent"
        return Resent(False, new_id, f"Not sent: {why}")

    def _audit(self, action: str, email: OutboxEmail, extra: dict) -> None:
        details = {"to": email.row.to, "subject": email.row.subject, **extra}
        audit(self.who.actor, action, f"email:{email.row.id}", details, self.who.address)


def _invoice_of(event_key: str) -> int | None:
    kind, _, rest = event_key.partition(":")
    number = rest.split(":", 1)[0]
    return int(number) if kind in INVOICE_KEY_KINDS and number.isdigit() else None


__all__ = ["AdminOutbox", "NoSuchEmail", "OutboxRefused", "Resent"]
