"""A record of every email, so one event is never mailed twice and failures show."""

from __future__ import annotations

import peewee as pw

from models.db import BaseModel, utcnow


class EmailLog(BaseModel):
    event_key = pw.CharField(unique=True)  # e.g. "invoice-sent:42", "receipt:PAY-…"
    to = pw.CharField()
    subject = pw.CharField()
    status = pw.CharField(default="pending")  # pending | sent | failed
    tries = pw.IntegerField(default=0)
    last_error = pw.TextField(null=True)
    message_id = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "email_log"
