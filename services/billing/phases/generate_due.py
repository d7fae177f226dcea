"""Which schedules and periods are due: the rules the generate phase and its dry run share.

A schedule is due when it is active and its next date is on or before the business's today;
its due periods run from that date to today, stopping at the end date or the count
(`due_periods`). A period whose invoice exists already is skipped (`existing`); a schedule
whose lines or days to pay `InvoiceService.create` would refuse is reported, not issued
(`services.invoices.rules`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import cast

from models import Invoice, RecurringInvoice, RecurringLine
from services.billing.schedule import index_on_or_after, period_date, period_end


def due_schedules(business_id: int, today: date, *columns):
    """The business's schedules with a period due by `today`, by next date then id."""
    return (
        RecurringInvoice.select(*columns)
        .where(
            (RecurringInvoice.business == business_id)
            & (RecurringInvoice.status == "active")
            & (RecurringInvoice.next_date <= today)
        )
        .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
    )


@dataclass
class Period:
    """One period of a schedule: the invoice issued for it covers start to end."""

    rec: RecurringInvoice
    start: date
    end: date


@dataclass
class Advance:
    """A schedule's state after the batch: next date, count, status."""

    next_date: date
    count: int
    status: str


def due_periods(
    rec: RecurringInvoice, today: date, room: int | None = None
) -> tuple[list[Period], Advance, bool]:
    """The periods due by `today` (at most `room`), the schedule after them, and whether
    more periods are still due."""
    periods: list[Period] = []
    next_date, count, status = rec.next_date, rec.generated_count, rec.status
    while next_date <= today:
        ended = (rec.max_count is not None and count >= rec.max_count) or (
            rec.end_date is not None and next_date > rec.end_date
        )
        if ended:
            status = "ended"
            break
        if room is not None and len(periods) >= room:
            return periods, Advance(next_date, count, status), True
        n = index_on_or_after(rec.anchor_date, rec.frequency, next_date)
        periods.append(Period(rec, next_date, period_end(rec.anchor_date, rec.frequency, n)))
        next_date = period_date(rec.anchor_date, rec.frequency, n + 1)
        count += 1
        done = (rec.max_count is not None and count >= rec.max_count) or (
            rec.end_date is not None and next_date > rec.end_date
        )
        if done:
            status = "ended"
            break
    return periods, Advance(next_date, count, status), False


def lines_of(recurring_ids: list[int]) -> dict[int, list[RecurringLine]]:
    found: dict[int, list[RecurringLine]] = defaultdict(list)
    if recurring_ids:
        for line in (
            RecurringLine.select()
            .where(RecurringLine.recurring.in_(recurring_ids))
            .order_by(RecurringLine.recurring, RecurringLine.position)
        ):
            found[line.recurring_id].append(line)
    return found


def existing_periods(periods: list[Period]) -> set[tuple[int, date]]:
    """(recurring, period_start) pairs of these periods whose invoice already exists."""
    if not periods:
        return set()
    rows = (
        Invoice.select(Invoice.recurring, Invoice.period_start)
        .where(
            Invoice.recurring.in_({p.rec.id for p in periods})
            & Invoice.period_start.in_({p.start for p in periods})
        )
        .tuples()
    )
    return set(cast("Iterable[tuple[int, date]]", rows))
