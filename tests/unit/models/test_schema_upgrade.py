"""A database made at schema v1 opens in the version that adds the billing-run tables."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from models import (
    SCHEMA_VERSION,
    BillingRun,
    Business,
    Client,
    Invoice,
    InvoiceBilling,
    RecurringInvoice,
    db,
    init_database,
    schema_version,
)
from models.db import open_database
from models.schema import MIGRATIONS, SchemaMeta

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema_v1.sqlite.sql"


def _seed_v1_rows(execute) -> None:
    execute(
        "INSERT INTO business (id, name, currency, timezone, locale, invoice_prefix,"
        " next_invoice_number, billing_email, address, autobill_on, payment_terms_days,"
        " created_at) VALUES (1, 'Old Co', 'USD', 'America/New_York', 'en_US', 'INV-', 2,"
        " 'billing@old.example', '', 'due', 14, '2026-01-01 00:00:00')"
    )
    execute(
        "INSERT INTO client (id, business_id, name, email, address, archived, created_at)"
        " VALUES (1, 1, 'Old Client', 'old@example.com', '', false, '2026-01-01 00:00:00')"
    )
    execute(
        "INSERT INTO recurring_invoice (id, business_id, client_id, description, frequency,"
        " anchor_date, next_date, generated_count, due_days, autobill_mode, client_autobill,"
        " status, created_at) VALUES (1, 1, 1, 'Plan', 'monthly', '2026-01-31', '2026-02-28',"
        " 1, 14, 'optout', true, 'active', '2026-01-01 00:00:00')"
    )
    execute(
        "INSERT INTO invoice (id, business_id, client_id, number, currency, issue_date,"
        " due_date, status, subtotal, tax_total, total, amount_paid, notes, recurring_id,"
        " period_start, autobill, created_at) VALUES (1, 1, 1, 'INV-0001', 'USD',"
        " '2026-01-31', '2026-02-14', 'sent', 1000, 0, 1000, 0, '', 1, '2026-01-31', true,"
        " '2026-01-01 00:00:00')"
    )


def _check_upgraded() -> None:
    assert schema_version() == SCHEMA_VERSION >= 2
    assert db.table_exists("invoice_billing") and db.table_exists("billing_run")
    assert Invoice.get_by_id(1).number == "INV-0001"
    assert RecurringInvoice.get_by_id(1).next_date == date(2026, 2, 28)
    assert Business.get_by_id(1).name == "Old Co" and Client.select().count() == 1
    InvoiceBilling.create(invoice=1, recurring=1, charge_state="scheduled")
    BillingRun.create(as_of=date(2026, 2, 28))
    assert InvoiceBilling.get().invoice.number == "INV-0001"


def _open_upgraded_v1(tmp_path) -> None:
    """The frozen v1 SQLite file, with rows, opened (and so upgraded) by this paydesk."""
    path = tmp_path / "v1.db"
    con = sqlite3.connect(path)
    con.executescript(FIXTURE.read_text())
    _seed_v1_rows(con.execute)
    con.commit()
    con.close()
    init_database(f"sqlite:///{path}")


def test_frozen_v1_sqlite_file_upgrades(tmp_path):
    _open_upgraded_v1(tmp_path)
    try:
        _check_upgraded()
    finally:
        db.close()


def test_database_made_by_the_first_migration_upgrades(empty_db_url):
    db_url = empty_db_url
    database = open_database(db_url)
    database.connect(reuse_if_open=True)
    with db.atomic():
        db.create_tables([SchemaMeta], safe=True)
        MIGRATIONS[0]()
        SchemaMeta.insert(key="version", value="1").execute()
    assert not db.table_exists("invoice_billing")
    _seed_v1_rows(db.execute_sql)
    if not db_url.startswith("sqlite"):
        for table in ("business", "client", "recurring_invoice", "invoice"):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
    db.close()
    init_database(db_url)
    try:
        _check_upgraded()
    finally:
        db.close()


def test_an_upgraded_payment_table_defaults_the_method_for_the_paying_path(tmp_path):
    """v6: payment.method and method_reference, with the database's own defaults (the
    paying path's hand-written INSERT names neither)."""
    _open_upgraded_v1(tmp_path)
    try:
        client_id = db.execute_sql("SELECT id FROM client").fetchone()[0]
        db.execute_sql(
            "INSERT INTO payment (client_id, reference, amount, amount_refunded, currency,"
            " card_brand, card_last4, created_at) VALUES (?, 'PAY-X', 5, 0, 'USD', '', '',"
            " '2026-01-01')",
            (client_id,),
        )
        row = db.execute_sql(
            "SELECT method, method_reference FROM payment WHERE reference = 'PAY-X'"
        ).fetchone()
        assert tuple(row) == ("card", "")
    finally:
        db.close()


def test_an_upgraded_invoice_has_no_discount_and_the_columns_default(tmp_path):
    """v8: invoice.discount_kind/_value/_total and invoice_line.discount, defaulted for the
    invoices that were there and for INSERTs that name none of them."""
    _open_upgraded_v1(tmp_path)
    try:
        old = Invoice.get_by_id(1)
        assert (old.discount_kind, old.discount_value, old.discount_total) == ("", 0, 0)
        db.execute_sql(
            "INSERT INTO invoice_line (invoice_id, position, description, quantity_milli,"
            " unit_price, tax_rate_bp, amount, tax) VALUES (1, 0, 'Plan', 1000, 1000, 0, 1000, 0)"
        )
        assert db.execute_sql("SELECT discount FROM invoice_line").fetchone()[0] == 0
    finally:
        db.close()
