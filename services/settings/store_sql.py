"""The stored settings' one hot read, hand-written: every web page reads the SSH door the
emails name (services/settings/store.py), and Peewee's compiler would cost more than it."""

from __future__ import annotations

from models import run_sql

_READ_ALL = "SELECT key, value FROM stored_setting"


def stored_rows() -> list[tuple[str, str]]:
    """Every stored setting as (key, JSON text)."""
    return [(str(key), str(value)) for key, value in run_sql(_READ_ALL).fetchall()]
