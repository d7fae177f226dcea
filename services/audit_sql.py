"""The audit trail's hand-written statement (models.run_sql), used by `audit`.

Written out because an audit row is part of every payment's transaction, where building it
through Peewee's query compiler cost more than running it (bench/pay.py).
"""

from __future__ import annotations

from datetime import datetime

from models import run_sql

_INSERT = (
    "INSERT INTO audit_log (at, actor, action, subject, detail, source_address)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def insert_row(at: datetime, entry: tuple) -> None:
    """One audit row: `at` and the cleaned (actor, action, subject, detail, address)."""
    run_sql(_INSERT, (at, *entry))
