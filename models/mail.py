"""A record of every email, so one event is never mailed twice and failures show."""

from __future__ import annotations

import peewee as pw

from models.db import BaseModel, utcnow


class EmailLog(BaseModel):
    event_key = pw.CharField(unique=True)  # e.g. "invoice-sent:42", "receipt:PAY-…"
    to = pw.CharField()
    subject = pw.CharField()
    # pending (being delivered) | sent | failed | queued (waiting for the sender) | cancelled
    status = pw.CharField(default="pending")
    tries = pw.IntegerField(default=0)
    last_error = pw.TextField(null=True)
    message_id = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)
    # failed or queued: when it is tried next (services/mail/backoff.py); None: not by itself
    next_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "email_log"


class EmailText(BaseModel):
    """What the owner's outbox shows of an email: its text (codes masked) and file names."""

    email_id = pw.IntegerField(primary_key=True)  # EmailLog.id (no constraint: claims undo rows)
    text = pw.TextField()
    attachments = pw.TextField(default="")  # the files' names, one a line
    masked = pw.BooleanField(default=False)  # a code or link token was hidden in `text`

    class Meta:
        table_name = "email_text"


class EmailAttempt(BaseModel):
    """One try at delivering an email: when, and the error (None: it went out)."""

    email_id = pw.IntegerField(index=True)
    at = pw.DateTimeField(default=utcnow)
    error = pw.TextField(null=True)

    class Meta:
        table_name = "email_attempt"
