"""models.run_sql: hand-written statements on both databases, as Peewee would run them."""

from __future__ import annotations

import logging

import peewee
import pytest

from models import AuditLog, Business, is_sqlite, placeholders, run_sql, utcnow, write_lock


def test_placeholders_and_rows_on_this_database(database):
    ids = [Business.create(name=f"B{i}", billing_email="b@example.com").id for i in range(3)]
    rows = run_sql(
        f"SELECT id, name FROM business WHERE id IN ({placeholders(3)}) ORDER BY id", ids
    ).fetchall()
    assert [tuple(row) for row in rows] == [(ids[0], "B0"), (ids[1], "B1"), (ids[2], "B2")]


def test_for_update_locks_on_postgresql_and_is_dropped_on_sqlite(database):
    business = Business.create(name="B", billing_email="b@example.com")
    with write_lock():
        row = run_sql("SELECT name FROM business WHERE id = ? FOR UPDATE", (business.id,))
        assert row.fetchone()[0] == "B"
        row = run_sql(
            "SELECT b.name FROM business b WHERE b.id = ? FOR UPDATE OF b", (business.id,)
        )
        assert row.fetchone()[0] == "B"
        if not is_sqlite():  # the row is really locked: another session cannot take it
            other = peewee.PostgresqlDatabase(database.database, **database.connect_params)
            other.execute_sql("SET lock_timeout = '100ms'")
            with pytest.raises(peewee.OperationalError):
                other.execute_sql("SELECT 1 FROM business WHERE id = %s FOR UPDATE", (business.id,))
            other.close()


def test_driver_errors_come_back_as_peewee_errors(database):
    business = Business.create(name="B", billing_email="b@example.com")
    with pytest.raises(peewee.IntegrityError):
        run_sql("INSERT INTO business (id, name) VALUES (?, ?)", (business.id, "again"))


def test_statements_are_logged_like_peewees_only_when_debug_is_on(database, caplog):
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        run_sql(
            "INSERT INTO audit_log (at, actor, action, subject, detail, source_address)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (utcnow(), "t", "x", "", "{}", ""),
        )
    assert any("INSERT INTO audit_log" in str(r.msg) for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="peewee"):
        run_sql("SELECT COUNT(*) FROM audit_log")
    assert not caplog.records
    assert AuditLog.select().count() == 1
