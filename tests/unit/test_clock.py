"""The business's "today": the wall date in its zone, across both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.clock import TimeZoneError, business_today

NY = "America/New_York"


@pytest.mark.parametrize(
    ("utc_instant", "local_day"),
    [
        # spring forward: 2026-03-08 02:00 EST → 03:00 EDT
        ("2026-03-08T04:59:59", "2026-03-07"),  # 23:59:59 EST
        ("2026-03-08T05:00:00", "2026-03-08"),  # 00:00 EST
        ("2026-03-08T06:59:59", "2026-03-08"),  # 01:59:59 EST, last second before the gap
        ("2026-03-08T07:00:00", "2026-03-08"),  # 03:00 EDT
        ("2026-03-09T03:59:59", "2026-03-08"),  # 23:59:59 EDT
        ("2026-03-09T04:00:00", "2026-03-09"),  # midnight EDT
        # fall back: 2026-11-01 02:00 EDT → 01:00 EST (01:xx happens twice)
        ("2026-11-01T03:59:59", "2026-10-31"),  # 23:59:59 EDT
        ("2026-11-01T04:00:00", "2026-11-01"),  # 00:00 EDT
        ("2026-11-01T05:30:00", "2026-11-01"),  # 01:30 EDT (first)
        ("2026-11-01T06:30:00", "2026-11-01"),  # 01:30 EST (second, fold=1)
        ("2026-11-02T04:59:59", "2026-11-01"),  # 23:59:59 EST
        ("2026-11-02T05:00:00", "2026-11-02"),
    ],
)
def test_business_today_across_both_dst_changes(utc_instant, local_day):
    instant = datetime.fromisoformat(utc_instant).replace(tzinfo=UTC)
    assert business_today(NY, instant) == date.fromisoformat(local_day)
    assert business_today(NY, instant.replace(tzinfo=None)) == date.fromisoformat(local_day)


@given(
    st.datetimes(
        min_value=datetime(2023, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(ZoneInfo(NY)),
    ),
    st.integers(min_value=1, max_value=72 * 3600),
)
def test_business_today_is_monotonic_in_utc_time(moment, seconds):
    # Hypothesis generates imaginary (gap) and ambiguous (fold=1) local times.
    first = moment.astimezone(UTC)
    later = first + timedelta(seconds=seconds)
    assert business_today(NY, first) <= business_today(NY, later)
    assert (business_today(NY, later) - business_today(NY, first)).days <= seconds // 86400 + 1


def test_an_unknown_zone_is_named():
    with pytest.raises(TimeZoneError, match="Mars/Olympus_Mons"):
        business_today("Mars/Olympus_Mons")


def test_the_next_day_starts_at_the_business_midnight_in_utc():
    from services.clock import next_day_starts

    # 23:30 in New York (EDT, UTC-4) on March 15: the 16th begins at 04:00 UTC.
    assert next_day_starts("America/New_York", datetime(2026, 3, 16, 3, 30)) == datetime(
        2026, 3, 16, 4, 0
    )
    # Past midnight there: the next day is the 17th.
    assert next_day_starts("America/New_York", datetime(2026, 3, 16, 4, 0)) == datetime(
        2026, 3, 17, 4, 0
    )
    assert next_day_starts("UTC", datetime(2026, 12, 31, 23, 59)) == datetime(2027, 1, 1)
