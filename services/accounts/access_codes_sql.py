"""The two statements a page GET checks its code with, written out (models.run_sql):
through Peewee's query compiler the same reads cost about 1.5 ms (bench/web.py)."""

from __future__ import annotations

from datetime import datetime

from models import AccessCode, Invoice, Throttle, run_sql
from services.sql_rows import as_model, columns_of

_LOCKED = "SELECT locked_until FROM throttle WHERE key = ?"
_CODE = (
    f"SELECT {columns_of(AccessCode, 'a')}, {columns_of(Invoice, 'i')} FROM access_code a"
    " JOIN invoice i ON i.id = a.invoice_id WHERE a.code_hash = ?"
)
_CODE_COLUMNS = len(AccessCode._meta.sorted_fields)


def locked(key: str, now: datetime) -> bool:
    """The key's throttle holds a lock now (`throttle.wait_seconds(key) > 0`)."""
    row = run_sql(_LOCKED, (key,)).fetchone()
    until = Throttle.locked_until.python_value(row[0]) if row and row[0] is not None else None
    return until is not None and until > now


def code_and_invoice(digest: str) -> tuple[AccessCode | None, Invoice | None]:
    row = run_sql(_CODE, (digest,)).fetchone()
    if row is None:
        return None, None
    return as_model(AccessCode, row), as_model(Invoice, row, _CODE_COLUMNS)
