"""The aging on any past day, and statements, against what the books said that day.

A history of invoices, card payments (several invoices at once), partial payments received
offline, refunds and voids runs over several days through the real services (real sandbox,
real database), the clock moved a day at a time. At the end of each day the stored balances
are written down; afterwards the aging of that day must equal them (per client, per bucket,
in total) and each statement must run from the balance of the day before its start to the
balance of its end: closing = opening + invoiced − paid + refunded − voided.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from models import Business, Client, Invoice, Payment
from models.states import InvoiceStatus
from services.console.aging import BUCKETS, aging_page, aging_totals, bucket_of, day_end_utc
from services.console.receivables import receivables
from services.console.statements import client_balance, statement
from services.invoices.views import LineInput, is_payable
from services.payments.offline import record_offline

START = date(2026, 3, 1)
TZ = "America/New_York"
PICK = st.integers(0, 7)
STEP = st.one_of(
    st.tuples(st.just("invoice"), st.integers(1, 90_000), st.integers(0, 45), st.booleans()),
    st.tuples(st.just("pay"), st.lists(PICK, min_size=1, max_size=3)),
    st.tuples(st.just("offline"), PICK, st.integers(1, 100)),  # percent of the balance
    st.tuples(st.just("refund"), PICK, st.integers(1, 100)),  # percent of what is left
    st.tuples(st.just("void"), PICK),
    st.tuples(st.just("days"), st.integers(1, 40)),
)
_clients = count(1)


def noon(day: date) -> datetime:
    """Late morning in New York on `day` (16:00 UTC)."""
    return datetime.combine(day, time(16, 0), tzinfo=UTC)


def books(business_id: int, day: date) -> dict:
    """What the stored ledger says now, bucketed as of `day`: per client and bucket."""
    owed: dict[tuple[int, int], int] = {}
    for inv in Invoice.select().join(Client).where(Client.business == business_id):
        balance = inv.total - inv.amount_paid
        if not is_payable(inv.status, balance):
            continue
        key = (inv.client_id, bucket_of(max(0, (day - inv.due_date).days)))
        owed[key] = owed.get(key, 0) + balance
    return owed


def aged(business_id: int, day: date) -> dict:
    page = aging_page(business_id, day, TZ, 0, 100)
    found = {}
    for row in page.rows:
        assert row.owed == sum(row.buckets) and row.owed > 0
        for i, amount in enumerate(row.buckets):
            if amount:
                found[(row.client_id, i)] = amount
    assert page.totals.owed == sum(page.totals.buckets) == sum(r.owed for r in page.rows)
    assert page.totals.clients == len(page.rows)
    return found


def run_history(shop, steps) -> tuple[int, dict[date, dict], list[int], date]:
    """Play `steps` from START in a new business: it, the books at the end of every day, its
    clients and the last day."""
    svc = shop.services
    # A business of its own per example: the database lives as long as the test function.
    business = Business.create(name="Aging IT", billing_email="b@example.com", timezone=TZ).id
    clients = [
        Client.create(
            business=business, name=f"Aging {n}", email=f"aging{next(_clients)}@example.com"
        ).id
        for n in range(2)
    ]
    cards = {c: svc.cards.add_test_card(c, "success") for c in clients}
    invoices: list[int] = []
    payments: list[int] = []
    day = START
    seen: dict[date, dict] = {}
    traveller = time_machine.travel(noon(day), tick=False)
    traveller.start()
    try:
        for step in steps:
            kind = step[0]
            if kind == "days":
                for n in range(step[1]):
                    seen[day + timedelta(days=n)] = books(business, day + timedelta(days=n))
                day += timedelta(days=step[1])
                traveller.stop()
                traveller = time_machine.travel(noon(day), tick=False)
                traveller.start()
            elif kind == "invoice":
                client = clients[step[3]]
                inv = svc.invoices.create(
                    client, [LineInput("Support", step[1])], day, day + timedelta(days=step[2])
                )
                invoices.append(inv.id)
            elif not invoices:
                continue
            elif kind == "pay":
                first = Invoice.get_by_id(invoices[step[1][0] % len(invoices)])
                ids = sorted(
                    {
                        i
                        for i in (invoices[p % len(invoices)] for p in step[1])
                        if Invoice.get_by_id(i).client_id == first.client_id
                        and is_payable(Invoice.get_by_id(i).status, Invoice.get_by_id(i).balance)
                    }
                )
                if ids:
                    result = svc.payments.pay(first.client_id, ids, cards[first.client_id].id)
                    assert result.status == "succeeded", result.message
                    payments.append(Payment.get(Payment.reference == result.reference).id)
            elif kind == "offline":
                inv = Invoice.get_by_id(invoices[step[1] % len(invoices)])
                if is_payable(inv.status, inv.balance):
                    amount = max(1, inv.balance * step[2] // 100)
                    record_offline(inv.id, amount, "check", f"CHK {len(invoices)}", "owner")
            elif kind == "refund" and payments:
                payment = Payment.get_by_id(payments[step[1] % len(payments)])
                left = payment.amount - payment.amount_refunded
                if left > 0:
                    svc.payments.refund(payment.id, max(1, left * step[2] // 100), actor="owner")
            elif kind == "void":
                inv = Invoice.get_by_id(invoices[step[1] % len(invoices)])
                if inv.amount_paid == 0 and inv.status != InvoiceStatus.VOID:
                    svc.invoices.void(inv.id)
        seen[day] = books(business, day)
        assert svc.payments.flush_receipts() is not None
    finally:
        traveller.stop()
    return business, seen, clients, day


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=12))
@example(steps=[("void", 0)])
@example(  # paid together, refunded in part, a partial check, a void, a month later
    steps=[
        ("invoice", 10_000, 10, False),
        ("invoice", 4_000, 30, False),
        ("invoice", 7_000, 0, True),
        ("days", 3),
        ("pay", [0, 1]),
        ("offline", 2, 40),
        ("days", 12),
        ("refund", 0, 30),
        ("void", 2),
        ("days", 50),
        ("refund", 0, 100),
        ("invoice", 2_500, 5, True),
        ("days", 2),
    ]
)
def test_aging_and_statements_reconcile_with_the_books_of_every_day(shop, steps):
    business, seen, clients, last = run_history(shop, steps)
    with time_machine.travel(noon(last), tick=False):
        assert aging_totals(business, last, TZ).owed == receivables(business, last).owed
        for day, owed in seen.items():
            assert aged(business, day) == owed, day
        days = sorted(seen)
        for client in clients:
            for start, end in {(days[0], days[-1]), (days[len(days) // 2], days[-1])}:
                st_ = statement(client, start, end)
                assert st_.opening == sum(
                    v
                    for (c, _), v in seen.get(start - timedelta(days=1), {}).items()
                    if c == client
                )
                assert st_.closing == sum(v for (c, _), v in seen[end].items() if c == client)
                assert st_.closing == (
                    st_.opening + st_.invoiced - st_.paid + st_.refunded - st_.voided
                )
                assert st_.owed == st_.closing == client_balance(client, business, end, TZ)
                running = st_.opening
                for line in st_.lines:
                    running += line.amount
                    assert line.balance == running


def test_day_end_is_midnight_in_the_business_zone():
    assert day_end_utc(date(2026, 3, 7), TZ) == datetime(2026, 3, 8, 5, 0)
    assert day_end_utc(date(2026, 3, 8), TZ) == datetime(2026, 3, 9, 4, 0)  # DST began


@pytest.mark.parametrize(
    ("late", "bucket"), [(0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4)]
)
def test_bucket_edges(late, bucket):
    assert bucket_of(late) == bucket
    assert BUCKETS[bucket][1] <= late
