"""Opening the database, and saying in one line what is wrong when it cannot be opened."""

from __future__ import annotations

from urllib.parse import urlsplit

import peewee

from models import init_database
from services.errors import PaydeskError


class DatabaseUnavailable(PaydeskError):
    """The database cannot be opened; the message says what is wrong and what to do."""


def open_database_checked(url: str) -> None:
    """Connect to the database at `url` and migrate it; DatabaseUnavailable if that fails."""
    try:
        init_database(url)
    except peewee.DatabaseError as exc:  # the drivers' errors, as Peewee raises them
        raise DatabaseUnavailable(explain(url, exc)) from None


def explain(url: str, exc: Exception) -> str:
    """What is wrong and what to do, naming the database but never its password."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if not url.startswith("sqlite"):
        place = urlsplit(url)
        where = f"{place.hostname or 'localhost'}:{place.port or 5432}{place.path}"
        return (
            f"cannot use the PostgreSQL database at {where} ({reason}): check that it is "
            "running and reachable, and that PAYDESK_DATABASE_URL names it"
        )
    path = url.removeprefix("sqlite:///")
    lowered = reason.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return (
            f"{path} is damaged or not a SQLite database ({reason}): restore it from a "
            "backup, or move it aside to start a new one"
        )
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return (
            f"cannot write to the SQLite database {path} ({reason}): check that its folder "
            "exists and that this user can write both, or set PAYDESK_DATABASE_URL"
        )
    return f"cannot use the SQLite database {path} ({reason}): check it and PAYDESK_DATABASE_URL"
