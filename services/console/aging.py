"""What each client owed on any past date, by age past the due date, as the books stood then.

An invoice counts on day D (the business's day) when it was issued by then (`issue_date <= D`,
not a draft) and not voided by the end of D. What it still asked for then is rolled back from
what is stored now: its balance today, plus what payments made after D paid of it, less what
refunds made after D gave back to it (a refund goes back to a payment's invoices newest first,
`services.payments.refunds.refund_shares`, here in SQL with a window sum). So on today the
aging is the Overview's receivables, and on any day it is what the ledger said that evening.

The ledger has no credit notes and no unapplied payments (a payment's allocations sum to its
amount; a refund goes back to the invoices it paid), so a client's balance on D is the sum of
its open invoices' balances on D, and the buckets add up to it. Every figure is one statement
over the business's invoices, whatever their number; pages of clients are sorted in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from peewee import JOIN, Case, fn

from models import Client, Invoice, Payment, PaymentAllocation, Refund
from models.states import InvoiceStatus, RefundStatus
from services.clock import day_end_utc
from services.console.receivables import BUCKETS
from services.text import visible

LABELS = tuple(label for label, _, _ in BUCKETS)


def _share(refunded, before, amount):
    """SQL for `refund_shares`' rule: an allocation's part of `refunded`, after the
    allocations `before` it (newer invoices) took theirs, at most its `amount`."""
    left = refunded - before
    return Case(None, [(left <= 0, 0), (left >= amount, amount)], left)


def _owners(business_id: int, client_id: int | None):
    """SQL: the clients whose books are read (the business's, or one of them)."""
    cond = Client.business == business_id
    return cond if client_id is None else cond & (Client.id == client_id)


def _late_payments(business_id: int, end: datetime, client_id: int | None = None):
    """The ids of the payments made after `end` (a range of payment(client_id, created_at)
    per client) or refunded after it, not a pass over every payment."""
    made = (
        Payment.select(Payment.id)
        .join(Client, on=Payment.client == Client.id)
        .where(_owners(business_id, client_id) & (Payment.created_at >= end))
    )
    refunded = (
        Refund.select(Refund.payment)
        .join(Payment, on=Refund.payment == Payment.id)
        .join(Client, on=Payment.client == Client.id)
        .where(
            _owners(business_id, client_id)
            & (Refund.status == RefundStatus.SUCCEEDED)
            & (Refund.created_at >= end)
        )
    )
    return made | refunded


def _rolled_back(business_id: int, end: datetime, client_id: int | None = None):
    """Per invoice touched after `end`: what its paid amount was then minus what it is now
    (payments made after `end` undone, refunds made after `end` given back)."""
    late = (
        Refund.select(Refund.payment, fn.SUM(Refund.amount).alias("late"))
        .where((Refund.status == RefundStatus.SUCCEEDED) & (Refund.created_at >= end))
        .group_by(Refund.payment)
        .alias("late_refund")
    )
    alloc = PaymentAllocation
    touched = (
        alloc.select(
            alloc.invoice.alias("invoice_id"),
            alloc.amount.alias("amount"),
            Case(None, [(Payment.created_at >= end, 1)], 0).alias("late_paid"),
            Payment.amount_refunded.alias("r_now"),
            fn.COALESCE(late.c.late, 0).alias("r_late"),
            (
                fn.SUM(alloc.amount).over(
                    partition_by=[alloc.payment], order_by=[alloc.invoice.desc()]
                )
                - alloc.amount
            ).alias("before"),
        )
        .join(Payment, on=alloc.payment == Payment.id)
        .join(Client, on=Payment.client == Client.id)
        .join(late, JOIN.LEFT_OUTER, on=late.c.payment_id == Payment.id)
        .where(
            _owners(business_id, client_id)
            & Payment.id.in_(_late_payments(business_id, end, client_id))
        )
        .alias("touched")
    )
    t = touched.c
    back = Case(None, [(t.late_paid == 1, t.amount)], 0) - (
        _share(t.r_now, t.before, t.amount) - _share(t.r_now - t.r_late, t.before, t.amount)
    )
    return (
        touched.select_from(t.invoice_id, fn.SUM(back).alias("back"))
        .group_by(t.invoice_id)
        .alias("rolled")
    )


def _candidates(business_id: int, end: datetime, client_id: int | None = None):
    """The ids of the invoices that may have been owed something at `end`: those open or
    voided now (read from the index invoice_open) and those paid after `end`. An invoice
    paid now (paid ≥ total) and untouched since was paid then too."""
    ours = Invoice.business == business_id
    if client_id is not None:
        ours &= Invoice.client == client_id
    maybe_open = Invoice.select(Invoice.id).where(
        ours & Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.VOID))
    )
    alloc = PaymentAllocation
    paid_since = alloc.select(alloc.invoice).where(
        alloc.payment.in_(_late_payments(business_id, end, client_id))
    )
    return maybe_open | paid_since


@dataclass(frozen=True)
class AgedInvoices:
    """The business's invoices as they stood at the end of a day: what each asked for then
    (`balance`, SQL) and `select(...)`, the invoices that were owed something then."""

    rolled: Any  # the roll-back subquery, joined by `select`
    balance: Any
    counted: Any
    day: date

    def select(self, *columns):
        rolled = self.rolled
        return (
            Invoice.select(*columns)
            .join(rolled, JOIN.LEFT_OUTER, on=rolled.c.invoice_id == Invoice.id)
            .where(self.counted & (self.balance > 0))
        )

    def bucket(self, first: int, last: int | None):
        """SQL condition: due `first` to `last` days before the day (current: not yet due)."""
        due = Invoice.due_date
        if first == 0:
            return due >= self.day
        cond = due <= self.day - timedelta(days=first)
        if last is not None:
            cond &= due >= self.day - timedelta(days=last)
        return cond

    def buckets(self) -> list:
        """SQL: the balance summed per bucket, in BUCKETS' order."""
        return [_sum_if(self.bucket(first, last), self.balance) for _, first, last in BUCKETS]


def aged_invoices(
    business_id: int, day: date, tz_name: str, client_id: int | None = None
) -> AgedInvoices:
    """The business's invoices (or one client's) as they stood at the end of `day` (see the
    module)."""
    end = day_end_utc(day, tz_name)
    rolled = _rolled_back(business_id, end, client_id)
    balance = Invoice.total - Invoice.amount_paid + fn.COALESCE(rolled.c.back, 0)
    counted = (
        Invoice.id.in_(_candidates(business_id, end, client_id))
        & (Invoice.issue_date <= day)
        & (Invoice.status != InvoiceStatus.DRAFT)
        & ((Invoice.status != InvoiceStatus.VOID) | (Invoice.voided_at >= end))
    )
    return AgedInvoices(rolled, balance, counted, day)


def _sum_if(cond, value):
    return fn.COALESCE(fn.SUM(Case(None, [(cond, value)], 0)), 0)


@dataclass(frozen=True)
class AgingRow:
    """One client's balance on the day, split by age (amounts in BUCKETS' order)."""

    client_id: int
    name: str
    email: str
    owed: int
    open_count: int
    buckets: tuple[int, ...]


@dataclass(frozen=True)
class AgingTotals:
    """The whole business on the day: what was owed, by age, over how many clients."""

    as_of: date
    owed: int
    open_count: int
    clients: int
    buckets: tuple[int, ...]


@dataclass(frozen=True)
class AgingPage:
    totals: AgingTotals
    rows: list[AgingRow]
    offset: int


SORTS = ("owed", "oldest", "name")


def aging_totals(business_id: int, day: date, tz_name: str) -> AgingTotals:
    """Owed on `day`, by bucket, with the number of open invoices and of clients owing."""
    aged = aged_invoices(business_id, day, tz_name)
    row: Any = (
        aged.select(
            fn.COALESCE(fn.SUM(aged.balance), 0),
            fn.COUNT(Invoice.id),
            fn.COUNT(Invoice.client.distinct()),
            *aged.buckets(),
        )
        .tuples()
        .get()
    )
    values = [int(v or 0) for v in row]
    return AgingTotals(day, values[0], values[1], values[2], tuple(values[3:]))


def per_client(business_id: int, day: date, tz_name: str, *columns):
    """SQL: the clients that owed something on `day`, each with `columns` of the per-client
    subquery `c` (owed, n, oldest, b0…b4) after Client's own: (`query`, `c`). Unordered."""
    aged = aged_invoices(business_id, day, tz_name)
    per = (
        aged.select(
            Invoice.client.alias("client_id"),
            fn.SUM(aged.balance).alias("owed"),
            fn.COUNT(Invoice.id).alias("n"),
            fn.MIN(Invoice.due_date).alias("oldest"),
            *(b.alias(f"b{i}") for i, b in enumerate(aged.buckets())),
        )
        .group_by(Invoice.client)
        .alias("per_client")
    )
    c = per.c
    query = Client.select(
        *columns, c.owed, c.n, *(getattr(c, f"b{i}") for i in range(len(BUCKETS)))
    ).join(per, on=c.client_id == Client.id)
    return query, c


def aging_rows(
    business_id: int, day: date, tz_name: str, offset: int, limit: int, sort: str = "owed"
) -> list[AgingRow]:
    """One page of the clients that owed something on `day`: most owed first ("owed"), the
    longest overdue first ("oldest"), or by name."""
    query, c = per_client(business_id, day, tz_name, Client.id, Client.name, Client.email)
    sorted_by = {
        "owed": [c.owed.desc(), Client.name, Client.id],
        "oldest": [c.oldest, c.owed.desc(), Client.id],
        "name": [Client.name, Client.id],
    }[sort]
    query = query.order_by(*sorted_by).offset(offset).limit(limit).tuples()
    return [
        AgingRow(
            int(r[0]),
            visible(r[1]),
            visible(r[2]),
            int(r[3]),
            int(r[4]),
            tuple(int(v or 0) for v in r[5:]),
        )
        for r in cast("Iterable[tuple]", query)
    ]


def aging_page(
    business_id: int,
    day: date,
    tz_name: str,
    offset: int = 0,
    limit: int = 50,
    sort: str = "owed",
) -> AgingPage:
    """The totals on `day` and one page of clients (see `aging_rows`)."""
    totals = aging_totals(business_id, day, tz_name)
    return AgingPage(totals, aging_rows(business_id, day, tz_name, offset, limit, sort), offset)


@dataclass(frozen=True)
class OpenItem:
    """One invoice a client owed something on on the day: its balance then and its age."""

    invoice_id: int
    number: str
    issue_date: date
    due_date: date
    total: int
    balance: int
    days_overdue: int
    bucket: int  # index into BUCKETS


def bucket_of(days_overdue: int) -> int:
    """Which of BUCKETS `days_overdue` falls in (0: current)."""
    for i, (_, first, last) in enumerate(BUCKETS):
        if days_overdue >= first and (last is None or days_overdue <= last):
            return i
    return 0


def open_items(client_id: int, business_id: int, day: date, tz_name: str) -> list[OpenItem]:
    """The client's invoices that were owed something at the end of `day`, oldest due first."""
    aged = aged_invoices(business_id, day, tz_name, client_id)
    query = (
        aged.select(
            Invoice.id, Invoice.number, Invoice.issue_date, Invoice.due_date, Invoice.total,
            aged.balance,
        )
        .where(Invoice.client == client_id)
        .order_by(Invoice.due_date, Invoice.id)
        .tuples()
    )  # fmt: skip
    items = []
    for inv_id, number, issued, due, total, balance in cast("Iterable[tuple]", query):
        late = max(0, (day - due).days)
        items.append(
            OpenItem(
                inv_id, visible(number), issued, due, total, int(balance), late, bucket_of(late)
            )
        )
    return items
