"""The statements every webhook delivery runs, hand-written: building them through Peewee's
compiler cost more than running them (bench/web.py: a delivery's time was mostly that)."""

from __future__ import annotations

from datetime import datetime

from models import run_sql

_SEEN = "SELECT 1 FROM webhook_event WHERE stripe_event_id = ?"
_RECORD = (
    "INSERT INTO webhook_event (stripe_event_id, type, received_at, processed_at)"
    " VALUES (?, ?, ?, ?)"
)
_ATTEMPT = "SELECT id FROM payment_attempt WHERE stripe_intent_id = ?"


def seen(event_id: str) -> bool:
    """Whether the event was applied already."""
    return run_sql(_SEEN, (event_id,)).fetchone() is not None


def record(event_id: str, event_type: str, now: datetime) -> None:
    """Note the event as applied (IntegrityError when another delivery of it was first)."""
    run_sql(_RECORD, (event_id, event_type, now, now))


def attempt_of_intent(intent_id: str) -> int | None:
    """The ledger attempt that made this PaymentIntent, if paydesk made it."""
    row = run_sql(_ATTEMPT, (intent_id,)).fetchone()
    return int(row[0]) if row else None
