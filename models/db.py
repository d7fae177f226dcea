"""The one deferred database, the base model, and how to open a database from a URL."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import peewee
from playhouse.db_url import connect

from models.checkpoint import AUTOCHECKPOINT_PAGES, ensure_checkpointer

db = peewee.DatabaseProxy()


def utcnow() -> datetime:
    """Naive UTC now; every timestamp column holds UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(peewee.Model):
    id = peewee.AutoField()  # explicit, so type checkers know it

    class Meta:
        database = db
        legacy_table_names = False


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "synchronous": "normal",
    "wal_autocheckpoint": AUTOCHECKPOINT_PAGES,  # a backstop: models/checkpoint.py
}


def open_database(url: str) -> peewee.Database:
    """Open (not migrate) the database a URL names; SQLite gets WAL and foreign keys."""
    if url.startswith("sqlite"):
        database = connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        database = connect(url)
    db.initialize(database)
    return database


def is_sqlite() -> bool:
    return isinstance(db.obj, peewee.SqliteDatabase)


@contextlib.contextmanager
def write_lock() -> Iterator[None]:
    """A transaction that holds the write lock from its first statement.

    SQLite: BEGIN IMMEDIATE. PostgreSQL: a plain transaction; callers lock
    the rows they check with `for_update()` (see `lock_rows`).
    """
    if is_sqlite():
        ensure_checkpointer(db.obj.database)
        with db.atomic(lock_type="IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


_STATEMENTS: dict[tuple[bool, str], str] = {}
_peewee_log = logging.getLogger("peewee")
_as_peewee_errors = peewee.__exception_wrapper__  # type: ignore[attr-defined]
_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?$")


def run_sql(text: str, params: tuple | list = ()) -> Any:
    """Run one hand-written statement (`?` placeholders) and return the DB-API cursor.

    For the few hot paths (paying) where building the statement through Peewee's query
    compiler, or even Peewee's `execute_sql`, costs more than running it. `FOR UPDATE
    [OF t]` written at the end is dropped on SQLite, where BEGIN IMMEDIATE already
    serialises. Never put a literal `%` in `text`.
    """
    sqlite = is_sqlite()
    key = (sqlite, text)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = text
        if sqlite:
            statement = _FOR_UPDATE.sub("", statement)
        else:
            statement = statement.replace("?", "%s")
        _STATEMENTS[key] = statement
    if _peewee_log.isEnabledFor(logging.DEBUG):
        _peewee_log.debug((statement, params))  # as Peewee logs its own statements
    with _as_peewee_errors:  # driver errors as Peewee's (IntegrityError, …)
        return db.obj.connection().execute(statement, params)


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


Q = TypeVar("Q", bound="peewee.ModelSelect[Any]")


def lock_rows(query: Q) -> Q:
    """SELECT … FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE lock already serialises."""
    return query if is_sqlite() else query.for_update()
