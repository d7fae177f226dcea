"""The schema: migrates from empty, re-opens, and refuses a database from the future."""

import pytest

from models import SCHEMA_VERSION, SchemaError, db, init_database, migrate, schema_version
from models.schema import SchemaMeta


def test_fresh_database_is_at_current_version(database):
    assert schema_version() == SCHEMA_VERSION


def test_reopening_is_a_no_op(empty_db_url):
    db_url = empty_db_url
    init_database(db_url)
    db.close()
    init_database(db_url)
    assert migrate() == SCHEMA_VERSION
    db.close()


def test_newer_database_is_refused_with_a_clear_message(database):
    SchemaMeta.update(value=str(SCHEMA_VERSION + 1)).execute()
    with pytest.raises(SchemaError, match="newer than this paydesk"):
        migrate()


def test_two_processes_opening_a_new_database_at_once_both_succeed(empty_db_url, tmp_path):
    db_url = empty_db_url
    import subprocess
    import sys

    code = "import sys; from models import init_database, schema_version; "
    code += "init_database(sys.argv[1]); print(schema_version())"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    assert outputs == [str(SCHEMA_VERSION)] * 4


def test_the_audit_log_is_append_only_in_the_database_itself(database):
    from peewee import DatabaseError

    from models import AuditLog, db
    from services.audit import audit

    audit("system", "test.event", "subject")
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.atomic():
                db.execute_sql(statement)
    assert AuditLog.select().where(AuditLog.action == "test.event").count() == 1
