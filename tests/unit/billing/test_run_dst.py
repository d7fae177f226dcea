"""The run on the real clock (time-machine): a business in America/New_York across both DST
changes gets each period's invoice exactly once, on the local day; month-end anchors hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from models import Business, Invoice
from services.billing.run import BillingRunner
from services.invoices.views import LineInput


def _runner(shop) -> BillingRunner:
    s = shop.services
    return BillingRunner(s.invoices, s.payments, s.mailer, s.codes, s.config)


def _walk(shop, start_utc: datetime, hours: int, step_minutes: int = 30) -> dict[date, datetime]:
    """Run the pass every `step_minutes`; return when each period's invoice first appeared."""
    runner = _runner(shop)
    first_seen: dict[date, datetime] = {}
    instant = start_utc
    while instant <= start_utc + timedelta(hours=hours):
        with time_machine.travel(instant, tick=False):
            runner.run()
        for inv in Invoice.select():
            first_seen.setdefault(inv.period_start, instant)
        instant += timedelta(minutes=step_minutes)
    return first_seen


def _weekly(shop, anchor: date) -> None:
    Business.update(timezone="America/New_York").execute()
    shop.services.recurring.add(
        shop.client_id, "Weekly check", "weekly", anchor, [LineInput("Check", 5_000)],
        autobill_mode="off",
    )  # fmt: skip


def test_spring_forward_day_gets_one_invoice_at_local_midnight(shop):
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT. Local midnight is 05:00 UTC.
    _weekly(shop, date(2026, 3, 8))
    seen = _walk(shop, datetime(2026, 3, 7, 20, 0, tzinfo=UTC), hours=36)
    assert list(seen) == [date(2026, 3, 8)]
    assert seen[date(2026, 3, 8)] == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert Invoice.select().count() == 1
    assert Invoice.get().issue_date == date(2026, 3, 8)


def test_fall_back_day_gets_one_invoice_through_the_repeated_hour(shop):
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    _weekly(shop, date(2026, 11, 1))
    seen = _walk(shop, datetime(2026, 10, 31, 20, 0, tzinfo=UTC), hours=40)
    assert list(seen) == [date(2026, 11, 1)]
    assert seen[date(2026, 11, 1)] == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # midnight EDT
    assert Invoice.select().count() == 1
    # the next period arrives at midnight EST, a week later: 05:00 UTC
    seen = _walk(shop, datetime(2026, 11, 8, 3, 0, tzinfo=UTC), hours=4)
    assert seen[date(2026, 11, 8)] == datetime(2026, 11, 8, 5, 0, tzinfo=UTC)
    assert Invoice.select().count() == 2


def test_month_end_anchor_through_a_leap_year_never_drifts(shop):
    shop.services.recurring.add(
        shop.client_id, "Monthly", "monthly", date(2027, 12, 31), [LineInput("Plan", 9_900)],
        autobill_mode="off",
    )  # fmt: skip
    _runner(shop).run(as_of=date(2028, 12, 31))
    days = [inv.period_start for inv in Invoice.select().order_by(Invoice.period_start)]
    assert days == [
        date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31),
        date(2028, 4, 30), date(2028, 5, 31), date(2028, 6, 30), date(2028, 7, 31),
        date(2028, 8, 31), date(2028, 9, 30), date(2028, 10, 31), date(2028, 11, 30),
        date(2028, 12, 31),
    ]  # fmt: skip


def test_end_date_and_count_stop_the_series(shop):
    rec = shop.services.recurring
    by_count = rec.add(
        shop.client_id, "Three", "2weeks", date(2026, 1, 1), [LineInput("x", 100)],
        max_count=3, autobill_mode="off",
    ).view  # fmt: skip
    by_end = rec.add(
        shop.client_id, "Until", "3months", date(2026, 1, 31), [LineInput("y", 100)],
        end_date=date(2026, 10, 30), autobill_mode="off",
    ).view  # fmt: skip
    _runner(shop).run(as_of=date(2027, 6, 1))
    counts = {
        r: Invoice.select().where(Invoice.recurring == r).count() for r in (by_count.id, by_end.id)
    }
    assert counts == {by_count.id: 3, by_end.id: 3}  # Jan 31, Apr 30, Jul 31 (Oct 31 > end)
    assert rec.show(by_count.id).view.status == "ended"
    assert rec.show(by_end.id).view.status == "ended"


def test_pause_skips_periods_and_resume_does_not_back_bill(shop):
    rec = shop.services.recurring
    plan = rec.add(
        shop.client_id, "Plan", "monthly", date(2026, 1, 15), [LineInput("x", 100)],
        autobill_mode="off",
    ).view  # fmt: skip
    runner = _runner(shop)
    runner.run(as_of=date(2026, 1, 20))
    rec.pause(plan.id)
    runner.run(as_of=date(2026, 4, 20))
    assert Invoice.select().count() == 1
    assert rec.resume(plan.id, today=date(2026, 4, 20)) == date(2026, 5, 15)
    runner.run(as_of=date(2026, 5, 15))
    assert [i.period_start for i in Invoice.select().order_by(Invoice.id)] == [
        date(2026, 1, 15),
        date(2026, 5, 15),
    ]
    assert rec.show(plan.id).upcoming[:2] == (date(2026, 6, 15), date(2026, 7, 15))
