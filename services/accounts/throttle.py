"""Failure counters with exponential back-off (the Throttle table), shared by logins and codes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from models import Throttle, lock_rows, utcnow, write_lock


@dataclass(frozen=True)
class ThrottleRule:
    """`free` events per window, then a lock that doubles per event up to `max_lock`."""

    free: int
    base_lock: timedelta
    max_lock: timedelta
    window: timedelta


def too_many(seconds: float) -> str:
    """The message while a throttle holds: "Too many attempts. Try again in N minutes."."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def wait_seconds(*keys: str | None) -> float:
    """Seconds until every given key lets the next attempt through (0: now)."""
    wanted = [k for k in keys if k]
    if not wanted:
        return 0.0
    now = utcnow()
    longest = 0.0
    for row in Throttle.select().where(Throttle.key.in_(wanted)):
        if row.locked_until and row.locked_until > now:
            longest = max(longest, (row.locked_until - now).total_seconds())
    return longest


def hit(key: str, rule: ThrottleRule) -> int:
    """Count one event; lock the key once it passes `rule.free`. Returns the new count.

    Each event past the free ones locks for `base_lock`, doubled per further event, up to
    `max_lock`. A window with no lock in force that started more than `rule.window` ago
    starts afresh. Safe under concurrency (write lock / row lock).
    """
    return _count(key, rule, refuse_if_locked=False)[0]


def claim(key: str, rule: ThrottleRule) -> float:
    """Count an attempt *before* it is checked, unless a lock is in force (then its seconds).

    Checking the lock, doing slow work (a password hash) and counting afterwards lets a
    burst of simultaneous attempts all pass the check; here the check and the count are one
    locked step, so at most `rule.free + 1` attempts of a burst get through.
    """
    return _count(key, rule, refuse_if_locked=True)[1]


def _count(key: str, rule: ThrottleRule, refuse_if_locked: bool) -> tuple[int, float]:
    now = utcnow()
    with write_lock():
        Throttle.insert(key=key, failures=0, window_start=now).on_conflict_ignore().execute()
        row = lock_rows(Throttle.select().where(Throttle.key == key)).get()
        failures, start = row.failures, row.window_start
        until = row.locked_until
        locked = until is not None and until > now
        if until is not None and locked and refuse_if_locked:
            return int(failures), (until - now).total_seconds()
        if not locked and now - start > rule.window:
            failures, start = 0, now
        failures += 1
        locked_until = row.locked_until
        if failures > rule.free:
            lock = rule.base_lock * (2 ** min(failures - rule.free - 1, 20))
            locked_until = now + min(lock, rule.max_lock)
        Throttle.update(failures=failures, window_start=start, locked_until=locked_until).where(
            Throttle.id == row.id
        ).execute()
    return int(failures), 0.0


def allow(key: str, rule: ThrottleRule) -> bool:
    """Count a request; False when it is over the limit (a refused one is not counted)."""
    if wait_seconds(key):
        return False
    return hit(key, rule) <= rule.free


def clear(key: str) -> None:
    Throttle.delete().where(Throttle.key == key).execute()


def purge(idle: timedelta = timedelta(days=2)) -> int:
    """Delete counters with no lock in force whose window started over `idle` ago."""
    cutoff = utcnow() - idle
    return int(
        Throttle.delete()
        .where(
            (Throttle.window_start < cutoff)
            & (Throttle.locked_until.is_null() | (Throttle.locked_until < utcnow()))
        )
        .execute()
    )
