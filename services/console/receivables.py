"""What clients owe, by age past the due date, and what was received this month.

Ages count whole days past the due date as of the business's today: an invoice due today
or later is current; due yesterday is 1 day overdue (bucket 1–30), and so on. Both figures
are one SQL statement each, whatever the number of invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from peewee import Case, fn

from models import Client, Invoice, Payment
from services.clock import zone
from services.invoices.views import PAYABLE

# (label, first day overdue, last day overdue or None): the buckets, oldest last.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", 0, 0),
    ("1–30", 1, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("90+", 91, None),
)


@dataclass(frozen=True)
class Bucket:
    label: str
    amount: int
    count: int


@dataclass(frozen=True)
class Receivables:
    """What is owed on open invoices, as of `as_of`."""

    as_of: date
    owed: int
    open_count: int
    overdue: int
    overdue_count: int
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True)
class Received:
    """Payments received since the first of the month (the business's month)."""

    since: date
    amount: int
    count: int


def _in_bucket(today: date, first: int, last: int | None):
    """The condition "due `first` to `last` days before `today`" (current: due today or later)."""
    if first == 0:
        return Invoice.due_date >= today
    cond = Invoice.due_date <= today - timedelta(days=first)
    if last is not None:
        cond &= Invoice.due_date >= today - timedelta(days=last)
    return cond


def _sum_if(cond, value):
    return fn.COALESCE(fn.SUM(Case(None, [(cond, value)], 0)), 0)


def receivables(business_id: int, today: date) -> Receivables:
    """Owed and overdue, split by age, over the business's open invoices."""
    balance = Invoice.total - Invoice.amount_paid
    columns = [fn.COALESCE(fn.SUM(balance), 0), fn.COUNT(Invoice.id)]
    for _, first, last in BUCKETS:
        cond = _in_bucket(today, first, last)
        columns += [_sum_if(cond, balance), _sum_if(cond, 1)]
    row: Any = (
        Invoice.select(*columns)
        .where(
            (Invoice.business == business_id)
            & Invoice.status.in_(PAYABLE)
            & (Invoice.total > Invoice.amount_paid)
        )
        .tuples()
        .get()
    )
    values = [int(v or 0) for v in row]
    buckets = tuple(
        Bucket(label, values[2 + 2 * i], values[3 + 2 * i])
        for i, (label, _, _) in enumerate(BUCKETS)
    )
    overdue = buckets[1:]
    return Receivables(
        as_of=today,
        owed=values[0],
        open_count=values[1],
        overdue=sum(b.amount for b in overdue),
        overdue_count=sum(b.count for b in overdue),
        buckets=buckets,
    )


def month_start_utc(today: date, tz_name: str) -> datetime:
    """The first instant of `today`'s month in the business's zone, as naive UTC."""
    local = datetime.combine(today.replace(day=1), time(0), tzinfo=zone(tz_name))
    return local.astimezone(UTC).replace(tzinfo=None)


def received_this_month(business_id: int, today: date, tz_name: str) -> Received:
    """Captured payments (less what was refunded) since the month began, for the business."""
    since = month_start_utc(today, tz_name)
    row: Any = (
        Payment.select(
            fn.COALESCE(fn.SUM(Payment.amount - Payment.amount_refunded), 0), fn.COUNT(Payment.id)
        )
        .join(Client)
        .where((Client.business == business_id) & (Payment.created_at >= since))
        .tuples()
        .get()
    )
    return Received(today.replace(day=1), int(row[0] or 0), int(row[1] or 0))
