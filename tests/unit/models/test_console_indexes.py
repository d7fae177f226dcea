"""The indexes the owner's console reads through (schema v6), on a new database and on one
upgraded from v5; the client's audit trail is found through them, not by a scan."""

from __future__ import annotations

from models import AuditLog, db, is_sqlite, migrate
from models.schema import CONSOLE_INDEXES, SchemaMeta
from services.console.client_detail import audit_page


def _names(table: str) -> set[str]:
    return {index.name for index in db.get_indexes(table)}


def test_a_new_database_has_the_console_indexes(database):
    for name, table, _ in CONSOLE_INDEXES:
        assert name in _names(table)


def test_a_v5_database_gets_them_on_upgrade(database):
    for name, _, _ in CONSOLE_INDEXES:
        db.execute_sql(f'DROP INDEX "{name}"')
    SchemaMeta.update(value="5").where(SchemaMeta.key == "version").execute()
    assert migrate() == 5
    for name, table, _ in CONSOLE_INDEXES:
        assert name in _names(table)


def test_the_audit_trail_of_a_client_is_read_through_the_indexes(database):
    AuditLog.create(actor="client:7", action="card.added", subject="Visa 4242")
    AuditLog.create(actor="cli", action="client.edited", subject="client:7")
    AuditLog.create(actor="cli", action="client.edited", subject="client:8")
    rows, total = audit_page(7, 0, 50)
    assert total == 2 and {r.action for r in rows} == {"card.added", "client.edited"}
    if is_sqlite():
        sql, params = AuditLog.select().where(AuditLog.subject == "client:7").sql()
        plan = " ".join(str(row[-1]) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "audit_log_subject" in plan, plan
