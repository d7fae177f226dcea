"""The console's outbox: every email queued, being sent, sent, retrying, failed or cancelled.

A page is two statements whatever the number of emails (the count and the page), filtered in
SQL by state, recipient (its address, or the name of the client it is addressed to) and the
business's days; one email's detail adds its text and its attempts (two more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import Expression

from models import Client, Contact, EmailAttempt, EmailLog, EmailText, utcnow
from services.console.payment_list import day_start_utc
from services.errors import PaydeskError
from services.text import visible

STALE = timedelta(minutes=10)  # "sending" this long: the process died mid-delivery
STATES = {
    "all": "Any state",
    "queued": "Queued",
    "sending": "Sending",
    "sent": "Sent",
    "retrying": "Retrying",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
WAITING = ("queued", "retrying")  # what cancel applies to


class NoSuchEmail(PaydeskError):
    """The email is not in the outbox (or no longer)."""


def state_of(status: str, next_at: datetime | None, created_at: datetime, now: datetime) -> str:
    """The state the owner sees: a STATES key, or "unconfirmed" for a delivery that began
    more than STALE ago and never finished (its process stopped; SMTP cannot say)."""
    if status == "pending":
        return "unconfirmed" if created_at < now - STALE else "sending"
    if status == "failed":
        return "retrying" if next_at is not None else "failed"
    return status if status in STATES else "failed"


def _state_where(state: str) -> Expression | None:
    status = EmailLog.status
    return {
        "queued": status == "queued",
        "sending": status == "pending",
        "sent": status == "sent",
        "retrying": (status == "failed") & EmailLog.next_at.is_null(False),
        "failed": (status == "failed") & EmailLog.next_at.is_null(),
        "cancelled": status == "cancelled",
    }.get(state)


@dataclass(frozen=True)
class OutboxQuery:
    """Which emails: a STATES key, `recipient` in the address, its client's name or the
    subject, between two of the business's days (either may be None); newest first."""

    state: str = "all"
    recipient: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class OutboxRow:
    """One line of the outbox."""

    id: int
    created_at: datetime  # UTC
    to: str
    subject: str
    state: str  # a STATES key or "unconfirmed"
    tries: int
    next_at: datetime | None
    error: str


@dataclass(frozen=True)
class OutboxPage:
    rows: tuple[OutboxRow, ...]
    offset: int
    total: int
    as_of: datetime


@dataclass(frozen=True)
class AttemptLine:
    at: datetime  # UTC
    error: str  # "" when it went out


@dataclass(frozen=True)
class OutboxEmail:
    """One email: its row, what it said (codes hidden), its files' names and its attempts."""

    row: OutboxRow
    event_key: str
    sent_at: datetime | None
    text: str | None  # None: sent before the outbox kept texts
    masked: bool
    attachments: tuple[str, ...]
    attempts: tuple[AttemptLine, ...]

    @property
    def can_cancel(self) -> bool:
        return self.row.state in WAITING

    @property
    def can_resend(self) -> bool:
        return self.row.state not in ("sending", "unconfirmed")


def _where(tz_name: str, ask: OutboxQuery) -> Expression:
    where: Expression = EmailLog.id > 0
    state = _state_where(ask.state)
    if state is not None:
        where &= state
    if ask.since is not None:
        where &= EmailLog.created_at >= day_start_utc(ask.since, tz_name)
    if ask.until is not None:
        where &= EmailLog.created_at < day_start_utc(ask.until + timedelta(days=1), tz_name)
    needle = ask.recipient.strip()
    if needle:
        named = Client.name.contains(needle)
        where &= (
            EmailLog.to.contains(needle)
            | EmailLog.subject.contains(needle)
            | EmailLog.to.in_(Client.select(Client.email).where(named))
            | EmailLog.to.in_(Contact.select(Contact.email).join(Client).where(named))
        )
    return where


def outbox_page(tz_name: str, ask: OutboxQuery, offset: int = 0, limit: int = 50) -> OutboxPage:
    """One page of the outbox as `ask` says, newest first, from `offset`."""
    where = _where(tz_name, ask)
    total = EmailLog.select(EmailLog.id).where(where).count()
    query = (
        EmailLog.select(
            EmailLog.id,
            EmailLog.created_at,
            EmailLog.to,
            EmailLog.subject,
            EmailLog.status,
            EmailLog.tries,
            EmailLog.next_at,
            EmailLog.last_error,
        )
        .where(where)
        .order_by(EmailLog.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    now = utcnow()
    rows = tuple(_row(row, now) for row in query)
    return OutboxPage(rows, max(0, offset), total, now)


def _row(row: EmailLog, now: datetime) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        created_at=row.created_at,
        to=visible(row.to),
        subject=visible(row.subject),
        state=state_of(row.status, row.next_at, row.created_at, now),
        tries=int(row.tries),
        next_at=row.next_at,
        error=visible(row.last_error or ""),
    )


def outbox_email(email_id: int) -> OutboxEmail:
    """One email with its text and attempts (oldest first)."""
    row = EmailLog.get_or_none(EmailLog.id == email_id)
    if row is None:
        raise NoSuchEmail(f"There is no email {email_id} in the outbox.")
    text = EmailText.get_or_none(EmailText.email_id == email_id)
    attempts = (
        EmailAttempt.select(EmailAttempt.at, EmailAttempt.error)
        .where(EmailAttempt.email_id == email_id)
        .order_by(EmailAttempt.at, EmailAttempt.id)
    )
    return OutboxEmail(
        row=_row(row, utcnow()),
        event_key=visible(row.event_key),
        sent_at=row.sent_at,
        text=visible(text.text, lines=True) if text is not None else None,
        masked=bool(text.masked) if text is not None else False,
        attachments=tuple(visible(n) for n in (text.attachments if text else "").split("\n") if n),
        attempts=tuple(AttemptLine(a.at, visible(a.error or "")) for a in attempts),
    )
