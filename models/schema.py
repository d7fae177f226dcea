"""Schema versions and migrations: a database made by an older paydesk opens in a newer one."""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw

from models.billing import Invoice, InvoiceLine, RecurringInvoice, RecurringLine
from models.billing_state import BillingRun, InvoiceBilling
from models.business import Business, Client, Contact
from models.db import BaseModel, db, is_sqlite, open_database, write_lock
from models.mail import EmailLog
from models.payments import (
    AttemptInvoice,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    WebhookEvent,
)
from models.security import AccessCode, AuditLog, PasswordReset, Throttle


class SchemaMeta(BaseModel):
    key = pw.CharField(primary_key=True)
    value = pw.CharField()

    class Meta:
        table_name = "schema_meta"


class SchemaError(Exception):
    """The database cannot be used by this version of paydesk."""


V1_TABLES: list[type[BaseModel]] = [
    Business,
    Client,
    Contact,
    RecurringInvoice,
    RecurringLine,
    Invoice,
    InvoiceLine,
    PaymentMethod,
    PaymentAttempt,
    AttemptInvoice,
    Payment,
    PaymentAllocation,
    Refund,
    WebhookEvent,
    AccessCode,
    PasswordReset,
    Throttle,
    AuditLog,
    EmailLog,
]


def _v1() -> None:
    db.create_tables(V1_TABLES, safe=True)


def _v2_billing_run() -> None:
    """Recurring billing: per-invoice email/charge bookkeeping and the run log."""
    db.create_tables([InvoiceBilling, BillingRun], safe=True)


_SQLITE_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""
_PG_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def _v3_audit_append_only() -> None:
    """The database itself refuses UPDATE and DELETE on the audit log (LOG-04)."""
    if is_sqlite():
        for op in ("update", "delete"):
            db.execute_sql(_SQLITE_APPEND_ONLY.format(op=op, OP=op.upper()))
    else:
        for statement in _PG_APPEND_ONLY:
            db.execute_sql(statement)


# Append only. Each step runs in its own transaction and bumps the version.
# A later step uses playhouse.migrate (add_column, add_index, …) against the live schema.
MIGRATIONS: list[Callable[[], None]] = [_v1, _v2_billing_run, _v3_audit_append_only]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version() -> int:
    if not db.table_exists("schema_meta"):
        return 0
    row = SchemaMeta.get_or_none(SchemaMeta.key == "version")
    return int(row.value) if row else 0


def migrate() -> int:
    """Bring the open database up to SCHEMA_VERSION; returns the version it started at.

    Safe when several processes open a new database at once: the steps run under one
    write lock (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock), and the version is
    read again inside it.
    """
    if schema_version() == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with write_lock():
        if not is_sqlite():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.create_tables([SchemaMeta], safe=True)
        start = schema_version()
        if start > SCHEMA_VERSION:
            raise SchemaError(
                f"this database is at schema version {start}, newer than this paydesk "
                f"({SCHEMA_VERSION}); upgrade paydesk"
            )
        for version in range(start + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version - 1]()
            SchemaMeta.insert(key="version", value=str(version)).on_conflict(
                conflict_target=[SchemaMeta.key], update={SchemaMeta.value: str(version)}
            ).execute()
    return start


MIGRATION_LOCK = 0x70617964  # "payd"


def init_database(url: str) -> pw.Database:
    """Connect to the database at `url` and migrate it to the current schema."""
    database = open_database(url)
    database.connect(reuse_if_open=True)
    migrate()
    return database
