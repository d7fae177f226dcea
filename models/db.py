"""The one deferred database, the base model, and how to open a database from a URL."""

from __future__ import annotations

import logging
import re
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


def write_lock() -> WriteLock:
    """A transaction that holds the write lock from its first statement.

    SQLite: BEGIN IMMEDIATE. PostgreSQL: a plain transaction; callers lock
    the rows they check with `for_update()` (see `lock_rows`). Inside another
    transaction it is a savepoint, as `db.atomic()` would make.
    """
    return WriteLock()


class WriteLock:
    """`with write_lock():` — see `write_lock`.

    The outermost transaction is begun and ended on the driver's connection, with Peewee
    told of it (so `db.atomic()` inside it makes savepoints). A payment runs two of these,
    and Peewee's layers around BEGIN and COMMIT, with a generator-based context manager,
    cost about as much as the statements inside (bench/pay.py).
    """

    __slots__ = ("_connection", "_database", "_savepoint")

    def __enter__(self) -> None:
        database = self._database = db.obj
        if database.in_transaction():
            self._savepoint = database.atomic()
            self._savepoint.__enter__()
            return
        self._savepoint = None
        sqlite = isinstance(database, peewee.SqliteDatabase)
        if sqlite:
            ensure_checkpointer(database.database)
        connection = self._connection = database.connection()
        _execute(connection, "BEGIN IMMEDIATE" if sqlite else "BEGIN")
        database.push_transaction(database.transaction())  # entered by hand, here

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._savepoint is not None:
            self._savepoint.__exit__(exc_type, exc, traceback)
            return
        database = self._database
        database.pop_transaction()
        if exc_type is not None:
            _end(database, self._connection, "ROLLBACK")
            return
        try:
            _end(database, self._connection, "COMMIT")
        except BaseException:
            _end(database, self._connection, "ROLLBACK")
            raise


def _end(database: peewee.Database, connection: Any, statement: str) -> None:
    """COMMIT or ROLLBACK the outermost transaction and run what Peewee queued for it."""
    if statement == "ROLLBACK" and database.is_closed():
        return  # the connection is gone, and its transaction with it
    _execute(connection, statement)
    # What Peewee's own transaction does after it (db.after_commit); tests/unit/models/test_db.py.
    if statement == "COMMIT":
        database._run_commit_callbacks()  # type: ignore[attr-defined]
    else:
        database._clear_commit_callbacks()  # type: ignore[attr-defined]


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
    return _execute(db.obj.connection(), statement, params)


def _execute(connection: Any, statement: str, params: tuple | list = ()) -> Any:
    """Run a statement on the driver's connection; driver errors come back as Peewee's
    (IntegrityError, OperationalError, …), mapped only when one is raised."""
    try:
        return connection.execute(statement, params)
    except Exception:
        with _as_peewee_errors:
            raise


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


Q = TypeVar("Q", bound="peewee.ModelSelect[Any]")


def lock_rows(query: Q) -> Q:
    """SELECT … FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE lock already serialises."""
    return query if is_sqlite() else query.for_update()
