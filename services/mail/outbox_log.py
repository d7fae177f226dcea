"""What the outbox keeps besides the mail log's row: each email's text and each attempt.

Written by both senders (`Mailer` one email at a time, `MailBatch` a batch per statement):
the text when an email is claimed (codes masked, services/mail/masking.py), an attempt for
every delivery tried, and, for one that failed, when it is tried next (services/mail/backoff.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from models import EmailAttempt, EmailLog, EmailText, utcnow
from services.mail.backoff import next_try
from services.mail.masking import masked


def keep_texts(rows: Iterable[tuple[int, str, Sequence[str]]]) -> None:
    """Keep (email id, text, attachment names) for the outbox, replacing an older text."""
    values = []
    for email_id, text, names in rows:
        shown, hidden = masked(text)
        values.append(
            {
                "email_id": email_id,
                "text": shown,
                "attachments": "\n".join(" ".join(name.split()) for name in names),
                "masked": hidden,
            }
        )
    if values:
        EmailText.insert_many(values).on_conflict(
            conflict_target=[EmailText.email_id],
            preserve=[EmailText.text, EmailText.attachments, EmailText.masked],
        ).execute()


def record_sent(ids: Sequence[int], at: datetime | None = None) -> None:
    """The emails went out now: one attempt each, and nothing more to try."""
    if not ids:
        return
    at = at or utcnow()
    EmailLog.update(status="sent", sent_at=at, last_error=None, next_at=None).where(
        EmailLog.id.in_(list(ids))
    ).execute()
    EmailAttempt.insert_many([{"email_id": i, "at": at, "error": None} for i in ids]).execute()


def record_failed(
    failed: dict[int, str], retry: Iterable[int], at: datetime | None = None
) -> dict[int, datetime | None]:
    """{email id: error} did not go out now: each is `failed` with its attempt, and those in
    `retry` are tried again after their backoff. Returns when each is tried next."""
    if not failed:
        return {}
    at = at or utcnow()
    again = set(retry)
    rows = EmailLog.select(EmailLog.id, EmailLog.tries).where(EmailLog.id.in_(list(failed)))
    tries: dict[int, int] = {row.id: row.tries for row in rows}
    nexts = {i: next_try(int(tries.get(i, 1)), at) if i in again else None for i in failed}
    groups: dict[tuple[str, datetime | None], list[int]] = defaultdict(list)
    for email_id, error in failed.items():
        groups[(error, nexts[email_id])].append(email_id)
    for (error, when), ids in groups.items():
        EmailLog.update(status="failed", last_error=error, next_at=when).where(
            EmailLog.id.in_(ids)
        ).execute()
    EmailAttempt.insert_many(
        [{"email_id": i, "at": at, "error": error} for i, error in failed.items()]
    ).execute()
    return nexts


def forget(ids: Sequence[int]) -> None:
    """The outbox's records of mail-log rows that were removed (a claim undone)."""
    if ids:
        EmailText.delete().where(EmailText.email_id.in_(list(ids))).execute()
        EmailAttempt.delete().where(EmailAttempt.email_id.in_(list(ids))).execute()
