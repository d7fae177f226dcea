"""Payments received per month for the last 12 months, in total and per client, net of refunds.

A month is the business's calendar month (its time zone), the current one last. What a month
shows is what was received in it less what was refunded in it: a refund counts in the month
it was made (succeeded), not in the month of the payment it returns, so a month once over
never changes and a month can be negative. Pending or failed refunds do not count.

The totals are two statements (payments, refunds), each summing the twelve months with one
CASE per month; a page of clients is two more (the count and the page), whatever the number
of payments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from peewee import JOIN, Case, fn

from models import Client, Payment, Refund
from models.states import RefundStatus
from services.console.payment_list import day_start_utc
from services.text import visible

MONTHS = 12


@dataclass(frozen=True)
class RevenueMonth:
    """One month: its first day, what was received, what was refunded, how many payments."""

    first: date
    received: int
    refunded: int
    count: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


@dataclass(frozen=True)
class Revenue:
    """The twelve months up to the one holding `as_of`, oldest first."""

    as_of: date
    months: tuple[RevenueMonth, ...]

    @property
    def net(self) -> int:
        return sum(m.net for m in self.months)

    @property
    def received(self) -> int:
        return sum(m.received for m in self.months)

    @property
    def refunded(self) -> int:
        return sum(m.refunded for m in self.months)


@dataclass(frozen=True)
class ClientRevenue:
    """One client's net per month (oldest first), its twelve months' net and payments."""

    id: int
    name: str
    months: tuple[int, ...]
    net: int
    count: int


@dataclass(frozen=True)
class ClientRevenuePage:
    rows: tuple[ClientRevenue, ...]
    offset: int
    total: int


def month_firsts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the `months` months up to today's, and of the month after them:
    2026-03-16 → 2025-04-01, 2025-05-01, …, 2026-03-01, 2026-04-01."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 2)]


def _bounds(today: date, tz_name: str) -> list:
    return [day_start_utc(first, tz_name) for first in month_firsts(today)]


def _per_month(at, value, bounds: list) -> list:
    return [
        fn.COALESCE(fn.SUM(Case(None, [((at >= lo) & (at < hi), value)], 0)), 0)
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]


def _payments(business_id: int, bounds: list):
    window = (Payment.created_at >= bounds[0]) & (Payment.created_at < bounds[-1])
    return Payment.select().join(Client).where((Client.business == business_id) & window)


def _refunds(business_id: int, bounds: list):
    window = (Refund.created_at >= bounds[0]) & (Refund.created_at < bounds[-1])
    return (
        Refund.select()
        .join(Payment)
        .join(Client)
        .where(
            (Client.business == business_id) & (Refund.status == RefundStatus.SUCCEEDED) & window
        )
    )


def revenue(business_id: int, today: date, tz_name: str) -> Revenue:
    """The business's twelve months up to today's (see the module's rules)."""
    bounds = _bounds(today, tz_name)
    at, amount = Payment.created_at, Payment.amount
    received: Any = (
        _payments(business_id, bounds)
        .select(*_per_month(at, amount, bounds), *_per_month(at, 1, bounds))
        .tuples()
        .get()
    )
    refunded: Any = (
        _refunds(business_id, bounds)
        .select(*_per_month(Refund.created_at, Refund.amount, bounds))
        .tuples()
        .get()
    )
    firsts = month_firsts(today)[:MONTHS]
    months = tuple(
        RevenueMonth(first, int(received[i]), int(refunded[i]), int(received[MONTHS + i]))
        for i, first in enumerate(firsts)
    )
    return Revenue(today, months)


def client_revenue_page(
    business_id: int, today: date, tz_name: str, offset: int = 0, limit: int = 50
) -> ClientRevenuePage:
    """Clients with a payment or a refund in the twelve months, the most net first."""
    bounds = _bounds(today, tz_name)
    at = Payment.created_at
    paid = (
        _payments(business_id, bounds)
        .select(
            Payment.client.alias("client_id"),
            *(m.alias(f"m{i}") for i, m in enumerate(_per_month(at, Payment.amount, bounds))),
            fn.COUNT(Payment.id).alias("n"),
        )
        .group_by(Payment.client)
        .alias("paid")
    )
    back = (
        _refunds(business_id, bounds)
        .select(
            Payment.client.alias("client_id"),
            *(
                m.alias(f"m{i}")
                for i, m in enumerate(_per_month(Refund.created_at, Refund.amount, bounds))
            ),
        )
        .group_by(Payment.client)
        .alias("back")
    )
    months = [
        fn.COALESCE(getattr(paid.c, f"m{i}"), 0) - fn.COALESCE(getattr(back.c, f"m{i}"), 0)
        for i in range(MONTHS)
    ]
    net = sum(months[1:], months[0])
    where = (Client.business == business_id) & (
        paid.c.client_id.is_null(False) | back.c.client_id.is_null(False)
    )
    base = (
        Client.select(Client.id)
        .join(paid, JOIN.LEFT_OUTER, on=(paid.c.client_id == Client.id))
        .join_from(Client, back, JOIN.LEFT_OUTER, on=(back.c.client_id == Client.id))
        .where(where)
    )
    total = base.count()
    query = (
        base.select(Client.id, Client.name, net, fn.COALESCE(paid.c.n, 0), *months)
        .order_by(net.desc(), Client.id)
        .offset(max(0, offset))
        .limit(limit)
        .tuples()
    )
    rows = tuple(
        ClientRevenue(
            id=row[0],
            name=visible(row[1]),
            months=tuple(int(v) for v in row[4:]),
            net=int(row[2]),
            count=int(row[3]),
        )
        for row in cast("Iterable[tuple[Any, ...]]", query)
    )
    return ClientRevenuePage(rows, max(0, offset), total)
