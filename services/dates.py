"""Dates for people, one way everywhere: "Dec 2, 2026" (Babel's medium date in the locale).

The kiosk, emails and the PDF call `format_day`; a moment (a receipt's, a password change's)
is `format_moment`: the same date, then the time in the business's zone (`format_clock`, an
"as of" time). The command line
prints ISO dates (2026-12-02), for scripts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from babel.dates import format_date, format_time

from services.clock import zone


@lru_cache(maxsize=4096)
def format_day(day: date, locale: str = "en_US") -> str:
    """ "Dec 2, 2026" in en_US, "2 déc. 2026" in fr_FR."""
    return format_date(day, format="medium", locale=locale)


def _local(when: datetime, tz_name: str) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone(tz_name))


def format_clock(when: datetime, tz_name: str = "UTC", locale: str = "en_US") -> str:
    """ "10:00 AM": the time of a UTC instant (naive values are UTC) in the zone."""
    clock = format_time(_local(when, tz_name), format="short", locale=locale)
    return clock.replace("\u202f", " ")  # CLDR's narrow no-break space before AM/PM


def format_moment(when: datetime, tz_name: str = "UTC", locale: str = "en_US") -> str:
    """ "Dec 2, 2026, 10:00 AM EST": a UTC instant (naive values are UTC) in the zone."""
    local = _local(when, tz_name)
    clock = format_clock(when, tz_name, locale)
    return f"{format_day(local.date(), locale)}, {clock} {local.tzname()}"
