"""The business's "today": the date on the wall in its time zone, from one function.

Everything that asks what day it is (the kiosk's overdue marks, `invoice add`'s issue date, the
billing run, emails, the demo seed) asks here, so 23:30 in New York is still that day everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import PaydeskError


class TimeZoneError(PaydeskError, ValueError):
    """A time zone name that is not in the tz database."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for bad keys
        raise TimeZoneError(f"unknown time zone {name!r}") from exc


def business_today(tz_name: str, now: datetime | None = None) -> date:
    """The business's date at `now` (default: this instant); naive values are UTC."""
    instant = now or datetime.now(UTC)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone(tz_name)).date()


def day_end_utc(day: date, tz_name: str) -> datetime:
    """The first instant after `day` in the business's zone, as naive UTC (what happened
    before it happened by the end of `day`)."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz_name))
    return local.astimezone(UTC).replace(tzinfo=None)


def next_day_starts(tz_name: str, now: datetime | None = None) -> datetime:
    """When the business's next day begins (naive UTC, as stored): what is overdue changes."""
    return day_end_utc(business_today(tz_name, now), tz_name)
