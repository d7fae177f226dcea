"""Invoice access codes, password resets, login throttles and the audit log."""

from __future__ import annotations

import peewee as pw

from models.billing import Invoice
from models.business import Contact
from models.db import BaseModel, utcnow


class AccessCode(BaseModel):
    """A [View Invoice] code: opens one invoice. Only its SHA-256 is stored."""

    invoice = pw.ForeignKeyField(Invoice, backref="access_codes", on_delete="CASCADE")
    invoice_id: int
    contact = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    contact_id: int | None
    code_hash = pw.CharField(unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "access_code"


class PasswordReset(BaseModel):
    """A one-time recovery code sent by email; hashed, short-lived, limited tries."""

    contact = pw.ForeignKeyField(Contact, backref="resets", on_delete="CASCADE")
    contact_id: int
    code_hash = pw.CharField()
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    tries = pw.IntegerField(default=0)

    class Meta:
        table_name = "password_reset"


class Throttle(BaseModel):
    """Failure counter for one key ("account:<id>", "address:<ip>", "reset:<id>")."""

    key = pw.CharField(unique=True)
    failures = pw.IntegerField(default=0)
    window_start = pw.DateTimeField(default=utcnow)
    locked_until = pw.DateTimeField(null=True)

    class Meta:
        table_name = "throttle"


class AuditLog(BaseModel):
    """Append-only: who did what to which thing, when and from where."""

    at = pw.DateTimeField(default=utcnow)
    actor = pw.CharField()  # "contact:12", "system", "cli"
    action = pw.CharField()
    subject = pw.CharField(default="")
    detail = pw.TextField(default="{}")  # JSON, never secrets
    source_address = pw.CharField(default="")

    class Meta:
        table_name = "audit_log"
