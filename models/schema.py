"""Schema versions and migrations: a database made by an older paydesk opens in a newer one."""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.migrate import migrate as migrate_schema

from models.billing import Invoice, InvoiceLine, RecurringInvoice, RecurringLine
from models.billing_state import BillingRun, InvoiceBilling
from models.business import Business, Client, Contact
from models.db import BaseModel, db, is_sqlite, open_database, write_lock
from models.mail import EmailAttempt, EmailLog, EmailText
from models.payments import (
    AttemptInvoice,
    CardLink,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    WebhookEvent,
)
from models.security import AccessCode, AuditLog, PasswordReset, Throttle
from models.settings import StoredSetting


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


def _v4_attempt_owner() -> None:
    """payment_attempt.owner: which process is paying it (a crashed payer is seen at once)."""
    if "owner" in {column.name for column in db.get_columns("payment_attempt")}:
        return  # made by a `_v1` that already knew the column
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    migrate_schema(migrator.add_column("payment_attempt", "owner", PaymentAttempt.owner))


def _v5_card_links() -> None:
    """One-time links to the hosted card page (issue 12)."""
    db.create_tables([CardLink], safe=True)


CONSOLE_INDEXES = (
    # the client's audit trail (subject or actor is the client, its contacts, invoices…)
    ("audit_log_subject", "audit_log", "subject"),
    ("audit_log_actor", "audit_log", "actor"),
    # receivables, open balances per client, open charges: the open invoices only, read
    # from the index alone
    (
        "invoice_open",
        "invoice",
        "business_id, status, due_date, client_id, total, amount_paid",
    ),
    # payments received this month: a range per client instead of every payment
    ("payment_client_id_created_at", "payment", "client_id, created_at"),
)


def _v6_console_indexes() -> None:
    """Indexes the owner's console reads through at 100,000 invoices (bench/admin.py)."""
    for name, table, columns in CONSOLE_INDEXES:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


def _v7_payment_method() -> None:
    """payment.method and payment.method_reference: payments received offline (issue 13)."""
    have = {column.name for column in db.get_columns("payment")}
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    steps = [
        migrator.add_column("payment", name, getattr(Payment, name))
        for name in ("method", "method_reference")
        if name not in have  # made by a `_v1` that already knew the columns
    ]
    if steps:
        migrate_schema(*steps)


def _v8_invoice_discount() -> None:
    """invoice.discount_kind/_value/_total and invoice_line.discount: a discount per invoice,
    taken off before tax (services/invoices/discount.py)."""
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    wanted = {
        "invoice": ("discount_kind", "discount_value", "discount_total"),
        "invoice_line": ("discount",),
    }
    model = {"invoice": Invoice, "invoice_line": InvoiceLine}
    steps = []
    for table, names in wanted.items():
        have = {column.name for column in db.get_columns(table)}
        steps += [
            migrator.add_column(table, name, getattr(model[table], name))
            for name in names
            if name not in have  # made by a `_v1` that already knew the columns
        ]
    if steps:
        migrate_schema(*steps)


def _v10_settings() -> None:
    """stored_setting: what the owner set in the console's Settings over the defaults."""
    db.create_tables([StoredSetting], safe=True)


def _v9_outbox_detail() -> None:
    """The outbox: each email's text and attempts, and when a failed one is tried next."""
    db.create_tables([EmailText, EmailAttempt], safe=True)
    if "next_at" not in {column.name for column in db.get_columns("email_log")}:
        migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
        migrate_schema(migrator.add_column("email_log", "next_at", EmailLog.next_at))
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "email_log_status_next_at" ON "email_log" (status, next_at)'
    )


# Append only. Each step runs in its own transaction and bumps the version.
# A later step uses playhouse.migrate (add_column, add_index, …) against the live schema.
MIGRATIONS: list[Callable[[], None]] = [
    _v1,
    _v2_billing_run,
    _v3_audit_append_only,
    _v4_attempt_owner,
    _v5_card_links,
    _v6_console_indexes,
    _v7_payment_method,
    _v8_invoice_discount,
    _v9_outbox_detail,
    _v10_settings,
]
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
