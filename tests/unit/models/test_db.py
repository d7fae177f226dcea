"""models.run_sql: hand-written statements on both databases, as Peewee would run them."""

from __future__ import annotations

import logging
import sqlite3

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


def _names() -> list[str]:
    return [b.name for b in Business.select().order_by(Business.id)]


def test_write_lock_commits_or_rolls_back_the_whole_transaction(database):
    with write_lock():
        assert database.in_transaction()
        Business.create(name="kept", billing_email="b@example.com")
    assert not database.in_transaction()
    with pytest.raises(RuntimeError), write_lock():
        Business.create(name="undone", billing_email="b@example.com")
        raise RuntimeError("stop")
    assert not database.in_transaction()
    assert _names() == ["kept"]


def test_atomic_and_write_lock_inside_write_lock_are_savepoints(database):
    with write_lock():
        Business.create(name="outer", billing_email="b@example.com")
        with pytest.raises(RuntimeError), database.atomic():
            Business.create(name="atomic", billing_email="b@example.com")
            raise RuntimeError("stop")
        with pytest.raises(RuntimeError), write_lock():
            Business.create(name="nested", billing_email="b@example.com")
            raise RuntimeError("stop")
        with write_lock():
            Business.create(name="inner", billing_email="b@example.com")
    assert _names() == ["outer", "inner"]


def test_write_lock_runs_peewees_commit_callbacks_only_on_commit(database):
    ran: list[str] = []
    with write_lock():
        database.after_commit(lambda: ran.append("committed"))
        assert ran == []
    with pytest.raises(RuntimeError), write_lock():
        database.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("stop")
    assert ran == ["committed"]


def test_a_failed_commit_is_rolled_back_and_the_connection_stays_usable(database):
    """A deferred foreign key fails at COMMIT: the error reaches the caller as Peewee's, and
    the next transaction starts clean."""
    run_sql("CREATE TABLE parent_row (id INTEGER PRIMARY KEY)")
    run_sql(
        "CREATE TABLE child_row (id INTEGER PRIMARY KEY, parent_id INTEGER"
        " REFERENCES parent_row (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(peewee.IntegrityError), write_lock():
        run_sql("INSERT INTO child_row (id, parent_id) VALUES (1, 42)")
    assert not database.in_transaction()
    with write_lock():
        run_sql("INSERT INTO parent_row (id) VALUES (42)")
        run_sql("INSERT INTO child_row (id, parent_id) VALUES (1, 42)")
    assert run_sql("SELECT COUNT(*) FROM child_row").fetchone()[0] == 1


def test_write_lock_holds_sqlites_write_lock_from_its_start(database, tmp_path):
    if not is_sqlite():
        pytest.skip("PostgreSQL locks rows (FOR UPDATE), tested above")
    other = sqlite3.connect(database.database, timeout=0, isolation_level=None)
    with write_lock():
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
