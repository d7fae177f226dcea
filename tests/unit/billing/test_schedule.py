"""Billing dates: the anchor table (days 28–31, 2023–2028, every frequency), DST, clamping."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.schedule import (
    STEPS,
    ScheduleError,
    add_months,
    card_expires_before,
    index_on_or_after,
    parse_frequency,
    period_date,
    upcoming,
)

NY = "America/New_York"
ANCHORS = [
    date(year, month, day)
    for year in range(2023, 2029)
    for month in (1, 2, 3, 8, 12)
    for day in (28, 29, 30, 31)
    if day <= calendar.monthrange(year, month)[1]
]


def _expected_month_date(anchor: date, months: int) -> date:
    """Independent oracle: walk month by month from the anchor's month, then clamp."""
    year, month = anchor.year, anchor.month
    for _ in range(months):
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


@pytest.mark.parametrize("frequency", list(STEPS))
@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_every_period_comes_from_the_anchor(anchor, frequency):
    unit, count = STEPS[frequency]
    previous = None
    n = 0
    while True:
        got = period_date(anchor, frequency, n)
        if got.year > 2028:
            break
        if unit == "weeks":
            assert got == anchor + timedelta(days=7 * count * n)
        else:
            assert got == _expected_month_date(anchor, count * n)
            # no drift: the anchor's day whenever the month has it
            last = calendar.monthrange(got.year, got.month)[1]
            assert got.day == min(anchor.day, last)
        if previous is not None:
            assert got > previous
        assert index_on_or_after(anchor, frequency, got) == n
        assert index_on_or_after(anchor, frequency, got - timedelta(days=1)) == n
        previous = got
        n += 1
    assert n > 0


GOLDEN = {
    # (anchor, frequency): the first dates, written out by hand
    (date(2023, 1, 31), "monthly"): [
        "2023-01-31",
        "2023-02-28",
        "2023-03-31",
        "2023-04-30",
        "2023-05-31",
        "2023-06-30",
    ],
    (date(2024, 1, 31), "monthly"): [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-30",
    ],
    (date(2024, 1, 30), "monthly"): [
        "2024-01-30",
        "2024-02-29",
        "2024-03-30",
        "2024-04-30",
        "2024-05-30",
        "2024-06-30",
    ],
    (date(2023, 1, 29), "monthly"): [
        "2023-01-29",
        "2023-02-28",
        "2023-03-29",
        "2023-04-29",
        "2023-05-29",
        "2023-06-29",
    ],
    (date(2027, 12, 28), "monthly"): [
        "2027-12-28",
        "2028-01-28",
        "2028-02-28",
        "2028-03-28",
        "2028-04-28",
        "2028-05-28",
    ],
    (date(2024, 2, 29), "yearly"): [
        "2024-02-29",
        "2025-02-28",
        "2026-02-28",
        "2027-02-28",
        "2028-02-29",
    ],
    (date(2023, 8, 31), "6months"): [
        "2023-08-31",
        "2024-02-29",
        "2024-08-31",
        "2025-02-28",
        "2025-08-31",
        "2026-02-28",
    ],
    (date(2023, 11, 30), "3months"): [
        "2023-11-30",
        "2024-02-29",
        "2024-05-30",
        "2024-08-30",
        "2024-11-30",
        "2025-02-28",
    ],
    (date(2023, 12, 31), "2months"): [
        "2023-12-31",
        "2024-02-29",
        "2024-04-30",
        "2024-06-30",
        "2024-08-31",
        "2024-10-31",
    ],
    (date(2024, 2, 29), "4weeks"): [
        "2024-02-29",
        "2024-03-28",
        "2024-04-25",
        "2024-05-23",
        "2024-06-20",
        "2024-07-18",
    ],
    (date(2026, 10, 29), "weekly"): [
        "2026-10-29",
        "2026-11-05",
        "2026-11-12",
        "2026-11-19",
        "2026-11-26",
        "2026-12-03",
    ],
    (date(2026, 2, 28), "2weeks"): [
        "2026-02-28",
        "2026-03-14",
        "2026-03-28",
        "2026-04-11",
        "2026-04-25",
        "2026-05-09",
    ],
}


@pytest.mark.parametrize(("anchor", "frequency"), list(GOLDEN), ids=lambda v: str(v))
def test_golden_dates(anchor, frequency):
    expected = [date.fromisoformat(d) for d in GOLDEN[(anchor, frequency)]]
    assert upcoming(anchor, frequency, count=len(expected)) == expected


def test_iterating_from_the_previous_date_would_drift_but_we_do_not():
    anchor = date(2024, 1, 31)
    drifting = [anchor]
    for _ in range(3):
        drifting.append(add_months(drifting[-1], 1))
    assert drifting[-1] == date(2024, 4, 29)  # the Invoice Ninja bug
    assert period_date(anchor, "monthly", 3) == date(2024, 4, 30)


def test_upcoming_respects_end_date_and_count():
    anchor = date(2025, 1, 31)
    assert upcoming(anchor, "monthly", count=6, max_count=2) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
    ]
    assert upcoming(anchor, "monthly", count=6, end_date=date(2025, 3, 30)) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
    ]
    assert upcoming(anchor, "monthly", after=date(2025, 3, 1), count=2) == [
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


@given(
    st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31)),
    st.sampled_from(list(STEPS)),
    st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 1, 1)),
)
def test_index_on_or_after_is_the_first_period_not_before_the_day(anchor, frequency, day):
    n = index_on_or_after(anchor, frequency, day)
    assert period_date(anchor, frequency, n) >= day
    if n > 0:
        assert period_date(anchor, frequency, n - 1) < day


def test_frequency_aliases_and_errors():
    assert parse_frequency("Monthly") == "monthly"
    assert parse_frequency("quarterly") == "3months"
    assert parse_frequency("2w") == "2weeks"
    with pytest.raises(ScheduleError, match="unknown frequency"):
        parse_frequency("fortnightly-ish")


def test_card_expiry_is_end_of_month():
    assert not card_expires_before(2, 2028, date(2028, 2, 29))
    assert card_expires_before(2, 2028, date(2028, 3, 1))
