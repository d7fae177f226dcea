"""Billing dates: every period computed from the anchor date, in the business's time zone.

A recurring invoice's n-th period starts on `period_date(anchor, frequency, n)`. Months are
added to the *anchor*, never to the previous date, and clamped to the month's last day:
anchor Jan 31 → Feb 28/29 → Mar 31 → Apr 30 (Stripe's rule; no drift, REC-01). Periods are
calendar dates in the business's zone; the clock is a UTC instant converted to that zone,
so DST changes (a skipped or repeated local hour) never move or repeat a period (REC-04).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from services.errors import PaydeskError

# frequency → (unit, count). Keep in step with models.FREQUENCIES.
STEPS: dict[str, tuple[str, int]] = {
    "weekly": ("weeks", 1),
    "2weeks": ("weeks", 2),
    "4weeks": ("weeks", 4),
    "monthly": ("months", 1),
    "2months": ("months", 2),
    "3months": ("months", 3),
    "6months": ("months", 6),
    "yearly": ("months", 12),
}

LABELS: dict[str, str] = {
    "weekly": "Weekly",
    "2weeks": "Every 2 weeks",
    "4weeks": "Every 4 weeks",
    "monthly": "Monthly",
    "2months": "Every 2 months",
    "3months": "Every 3 months",
    "6months": "Every 6 months",
    "yearly": "Yearly",
}

# What people type on the command line → the stored frequency.
ALIASES: dict[str, str] = {
    "week": "weekly",
    "weekly": "weekly",
    "1w": "weekly",
    "2w": "2weeks",
    "2weeks": "2weeks",
    "biweekly": "2weeks",
    "4w": "4weeks",
    "4weeks": "4weeks",
    "month": "monthly",
    "monthly": "monthly",
    "1m": "monthly",
    "2m": "2months",
    "2months": "2months",
    "3m": "3months",
    "3months": "3months",
    "quarterly": "3months",
    "6m": "6months",
    "6months": "6months",
    "yearly": "yearly",
    "annually": "yearly",
    "1y": "yearly",
    "12m": "yearly",
}


class ScheduleError(PaydeskError, ValueError):
    """An unknown frequency or time zone."""


def parse_frequency(text: str) -> str:
    key = text.strip().lower().replace(" ", "").replace("-", "")
    if key in ALIASES:
        return ALIASES[key]
    choices = ", ".join(STEPS)
    raise ScheduleError(f"unknown frequency {text!r}; use one of: {choices}")


def frequency_label(frequency: str) -> str:
    return LABELS.get(frequency, frequency)


def _step(frequency: str) -> tuple[str, int]:
    try:
        return STEPS[frequency]
    except KeyError:
        raise ScheduleError(f"unknown frequency {frequency!r}") from None


def add_months(anchor: date, months: int) -> date:
    """The anchor's day in the month `months` later, clamped to that month's last day."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(anchor.day, last))


def period_date(anchor: date, frequency: str, n: int) -> date:
    """Start of the n-th period (n = 0 is the anchor itself). Always from the anchor."""
    if n < 0:
        raise ValueError("period index must be >= 0")
    unit, count = _step(frequency)
    if unit == "weeks":
        return anchor + timedelta(weeks=count * n)
    return add_months(anchor, count * n)


def index_on_or_after(anchor: date, frequency: str, day: date) -> int:
    """The smallest n whose period starts on or after `day`."""
    if day <= anchor:
        return 0
    unit, count = _step(frequency)
    if unit == "weeks":
        days = (day - anchor).days
        step = 7 * count
        return -(-days // step)
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    n = max(0, months // count - 1)
    while period_date(anchor, frequency, n) < day:
        n += 1
    return n


def first_on_or_after(anchor: date, frequency: str, day: date) -> date:
    """The first period date on or after `day` (a resumed or edited schedule's next date)."""
    return period_date(anchor, frequency, index_on_or_after(anchor, frequency, day))


def dates(anchor: date, frequency: str, start: int = 0) -> Iterator[date]:
    """Period start dates from index `start` on, for ever."""
    n = start
    while True:
        yield period_date(anchor, frequency, n)
        n += 1


def upcoming(
    anchor: date,
    frequency: str,
    after: date | None = None,
    count: int = 6,
    end_date: date | None = None,
    max_count: int | None = None,
) -> list[date]:
    """The next `count` period dates on or after `after` (default: the anchor), within limits."""
    start = index_on_or_after(anchor, frequency, after) if after else 0
    result = []
    for n in range(start, start + count):
        if max_count is not None and n >= max_count:
            break
        d = period_date(anchor, frequency, n)
        if end_date is not None and d > end_date:
            break
        result.append(d)
    return result


def period_end(anchor: date, frequency: str, n: int) -> date:
    """Last day of the n-th period (the day before the next one starts)."""
    return period_date(anchor, frequency, n + 1) - timedelta(days=1)


def card_expires_before(exp_month: int, exp_year: int, day: date) -> bool:
    """A card is valid through the last day of its expiry month."""
    last = calendar.monthrange(exp_year, exp_month)[1]
    return date(exp_year, exp_month, last) < day
