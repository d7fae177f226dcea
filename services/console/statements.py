"""A client's statement: the activity of a date range and what was outstanding at its end.

Activity: the balance at the end of the day before `start` (the aging's balance, see
services/console/aging.py), then every invoice issued, payment received, refund made and
invoice voided from `start` to `end` (the business's days) in date order with the running
balance, and the closing balance: opening + invoiced − paid + refunded − voided, which is
the aging's balance at the end of `end`. Outstanding: the invoices owed something at the
end of `end`, with their ages and the aging buckets.

One client's rows of a range are read in four statements and put in order here; the
balances come from the aging's SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from peewee import fn

from models import Business, Client, Invoice, Payment, Refund
from models.states import InvoiceStatus, RefundStatus
from services.clock import day_end_utc, zone
from services.console.aging import BUCKETS, OpenItem, aged_invoices, open_items
from services.invoices.views import Party, party
from services.text import visible

KINDS = {"invoice": "Invoice", "payment": "Payment", "refund": "Refund", "void": "Voided"}
_ORDER = {"invoice": 0, "payment": 1, "refund": 2, "void": 3}  # within a day


@dataclass(frozen=True)
class StatementLine:
    """One entry: `amount` is signed (+ adds to what is owed), `balance` runs after it."""

    day: date
    kind: str  # KINDS
    reference: str
    amount: int
    balance: int


@dataclass(frozen=True)
class Statement:
    """Both statements of one client: activity from `start` to `end`, outstanding at `end`."""

    business: Party
    client: Party
    client_id: int
    currency: str
    locale: str
    start: date
    end: date
    opening: int
    lines: tuple[StatementLine, ...]
    invoiced: int
    paid: int
    refunded: int
    voided: int
    closing: int
    outstanding: tuple[OpenItem, ...]
    buckets: tuple[int, ...]  # the outstanding invoices' balances by BUCKETS

    @property
    def owed(self) -> int:
        return sum(self.buckets)


def client_balance(client_id: int, business_id: int, day: date, tz_name: str) -> int:
    """What the client owed at the end of `day` (the sum of its open invoices then)."""
    aged = aged_invoices(business_id, day, tz_name, client_id)
    value = (
        aged.select(fn.COALESCE(fn.SUM(aged.balance), 0))
        .where(Invoice.client == client_id)
        .scalar()
    )
    return int(value or 0)


def _local_day(at: datetime, tz_name: str) -> date:
    return at.replace(tzinfo=UTC).astimezone(zone(tz_name)).date()


def _entries(
    client_id: int, start: date, end: date, tz_name: str
) -> list[tuple[date, str, int, str, int]]:
    """(day, kind, id, reference, signed amount) of the client's activity in the range."""
    since, until = day_end_utc(start - timedelta(days=1), tz_name), day_end_utc(end, tz_name)
    out: list[tuple[date, str, int, str, int]] = []
    issued = (
        Invoice.select(Invoice.id, Invoice.number, Invoice.issue_date, Invoice.total,
                       Invoice.status, Invoice.voided_at)
        .where(
            (Invoice.client == client_id)
            & (Invoice.status != InvoiceStatus.DRAFT)
            & Invoice.issue_date.between(start, end)
        )
        .tuples()
    )  # fmt: skip
    for inv_id, number, day, total, status, voided_at in cast("Iterable[tuple]", issued):
        if status == InvoiceStatus.VOID and (
            voided_at is None or _local_day(voided_at, tz_name) < day
        ):
            continue  # never counted as owed (see the aging), so neither issued nor voided
        out.append((day, "invoice", inv_id, visible(number), int(total)))
    voided = (
        Invoice.select(Invoice.id, Invoice.number, Invoice.issue_date, Invoice.total,
                       Invoice.amount_paid, Invoice.voided_at)
        .where(
            (Invoice.client == client_id)
            & (Invoice.status == InvoiceStatus.VOID)
            & (Invoice.voided_at >= since)
            & (Invoice.voided_at < until)
        )
        .tuples()
    )  # fmt: skip
    for inv_id, number, issue_day, total, paid, voided_at in cast("Iterable[tuple]", voided):
        day = _local_day(voided_at, tz_name)
        if day >= issue_day:
            out.append((day, "void", inv_id, visible(number), -(int(total) - int(paid))))
    paid_rows = (
        Payment.select(Payment.id, Payment.reference, Payment.amount, Payment.created_at)
        .where(
            (Payment.client == client_id)
            & (Payment.created_at >= since)
            & (Payment.created_at < until)
        )
        .tuples()
    )
    for pay_id, reference, amount, at in cast("Iterable[tuple]", paid_rows):
        out.append((_local_day(at, tz_name), "payment", pay_id, visible(reference), -int(amount)))
    refunds = (
        Refund.select(Refund.id, Payment.reference, Refund.amount, Refund.created_at)
        .join(Payment)
        .where(
            (Payment.client == client_id)
            & (Refund.status == RefundStatus.SUCCEEDED)
            & (Refund.created_at >= since)
            & (Refund.created_at < until)
        )
        .tuples()
    )
    for refund_id, reference, amount, at in cast("Iterable[tuple]", refunds):
        out.append((_local_day(at, tz_name), "refund", refund_id, visible(reference), int(amount)))
    out.sort(key=lambda e: (e[0], _ORDER[e[1]], e[2]))
    return out


def statement(client_id: int, start: date, end: date) -> Statement:
    """The client's statement for `start`–`end` (the business's days, both included)."""
    client = Client.get_by_id(client_id)
    business = Business.get_by_id(client.business_id)
    tz = business.timezone
    opening = client_balance(client_id, business.id, start - timedelta(days=1), tz)
    balance = opening
    lines: list[StatementLine] = []
    sums = dict.fromkeys(KINDS, 0)
    for day, kind, _, reference, amount in _entries(client_id, start, end, tz):
        balance += amount
        sums[kind] += amount
        lines.append(StatementLine(day, kind, reference, amount, balance))
    items = tuple(open_items(client_id, business.id, end, tz))
    buckets = [0] * len(BUCKETS)
    for item in items:
        buckets[item.bucket] += item.balance
    return Statement(
        business=party(business.name, business.billing_email, business.address),
        client=party(client.name, client.email, client.address),
        client_id=client_id,
        currency=business.currency,
        locale=business.locale,
        start=start,
        end=end,
        opening=opening,
        lines=tuple(lines),
        invoiced=sums["invoice"],
        paid=-sums["payment"],
        refunded=sums["refund"],
        voided=-sums["void"],
        closing=balance,
        outstanding=items,
        buckets=tuple(buckets),
    )


def default_range(today: date) -> tuple[date, date]:
    """The first of last month to today: a month closed and the one under way."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), today
