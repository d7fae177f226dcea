"""When a delivery that failed is tried again: after 1 minute, 5, 30, then 2 hours; then never.

An email is tried at most MAX_TRIES (5) times by itself: its first delivery, then once each
delay after the try before failed. Example: the first try at 10:00 fails → next at 10:01;
fails → 10:06; fails → 10:36; fails → 12:36; fails → failed for good (about 2 h 36 min
after the first try). The owner can still resend it from the outbox. A refusal that will
not change by waiting (a 5xx for the recipient or the message) is failed for good at once,
and so is an email not kept for retry (one with a one-time code: a new one is cheap).
Each pass of `paydesk run` sends what is due (`Mailer.retry_due`), as the console does.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_TRIES = len(DELAYS) + 1


def next_try(tries: int, failed_at: datetime) -> datetime | None:
    """After the `tries`-th try failed at `failed_at`: when to try again, None for never."""
    if tries < 1 or tries > len(DELAYS):
        return None
    return failed_at + DELAYS[tries - 1]


def permanent(exc: BaseException) -> bool:
    """A refusal of this recipient or this message (5xx) that waiting will not change.

    A refused login or sender is the server's settings, not the message's: retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False
