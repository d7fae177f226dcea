"""Money invariants (DESIGN.md §4) after any sequence of payments, declines, refunds and voids.

Every step goes through the real services (PaymentService.pay, .refund, InvoiceService.void)
against the real sandbox and a real database (SQLite, and PostgreSQL when configured).
Allocations have no step of their own: paying is the only thing that writes them.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import count

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from models import Client, Invoice, Payment, PaymentAllocation, Refund
from models.states import AttemptStatus, InvoiceStatus, RefundStatus
from services.invoices.invoices import InvoiceError
from services.invoices.views import status_for
from services.payments.payments import PaymentError
from services.payments.refunds import refund_shares

PICK = st.integers(0, 7)  # an index into what exists (modulo its length)
STEP = st.one_of(
    st.tuples(st.just("invoice"), st.integers(1, 90_000)),
    st.tuples(st.just("pay"), st.lists(PICK, min_size=1, max_size=3)),
    st.tuples(st.just("decline"), PICK),
    st.tuples(st.just("refund"), PICK, st.integers(1, 120)),  # percent of what is left
    st.tuples(st.just("void"), PICK),
)
_clients = count(1)


def allocated(invoice_id: int) -> int:
    return sum(
        a.amount for a in PaymentAllocation.select().where(PaymentAllocation.invoice == invoice_id)
    )


def refunded_to(invoice_id: int) -> int:
    """The invoice's share of its payments' refunds (the refunds module's rule)."""
    total = 0
    for allocation in PaymentAllocation.select().where(PaymentAllocation.invoice == invoice_id):
        payment = Payment.get_by_id(allocation.payment_id)
        rows = PaymentAllocation.select().where(PaymentAllocation.payment == payment.id)
        shares = refund_shares([(a.invoice_id, a.amount) for a in rows], payment.amount_refunded)
        total += shares.get(invoice_id, 0)
    return total


def check_invariants(client_id: int, seen_refunded: dict[int, int]) -> None:
    invoices = list(Invoice.select().where(Invoice.client == client_id))
    for inv in invoices:
        given_back = refunded_to(inv.id)
        assert inv.balance == inv.total - allocated(inv.id) + given_back, inv.number
        assert 0 <= inv.balance <= inv.total, inv.number
        assert inv.status == status_for(inv.total, inv.amount_paid, inv.status), inv.number
    payments = list(Payment.select().where(Payment.client == client_id))
    for payment in payments:
        rows = PaymentAllocation.select().where(PaymentAllocation.payment == payment.id)
        assert sum(a.amount for a in rows) == payment.amount, payment.reference
        succeeded = Refund.select().where(
            (Refund.payment == payment.id) & (Refund.status == RefundStatus.SUCCEEDED)
        )
        assert (
            sum(r.amount for r in succeeded) == payment.amount_refunded == seen_refunded[payment.id]
        )
        assert 0 <= payment.amount_refunded <= payment.amount, payment.reference
    # Every refunded cent went back to exactly one invoice.
    assert sum(inv.total - inv.balance for inv in invoices) == sum(
        p.amount - p.amount_refunded for p in payments
    )


def payable(inv: Invoice) -> bool:
    return inv.status in (InvoiceStatus.SENT, InvoiceStatus.PARTIAL) and inv.balance > 0


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=7))
@example(  # two invoices in one payment, refunded in two parts, then one voided and re-paid
    steps=[
        ("invoice", 10_000),
        ("pay", [0, 1]),
        ("refund", 0, 30),
        ("void", 1),
        ("refund", 0, 100),
        ("void", 1),
        ("pay", [0]),
        ("refund", 1, 101),
    ]
)
def test_balances_allocations_and_refunds_hold_after_any_sequence(shop, steps):
    svc = shop.services
    client_id = Client.create(
        business=shop.business_id, name="Prop", email=f"prop{next(_clients)}@example.com"
    ).id
    good = svc.cards.add_test_card(client_id, "success")
    bad = svc.cards.add_test_card(client_id, "declined")
    invoices = [shop.invoice(25_000, client_id)]
    payments: list[int] = []
    seen_refunded: dict[int, int] = defaultdict(int)

    for step in steps:
        kind = step[0]
        if kind == "invoice":
            invoices.append(shop.invoice(step[1], client_id))
        elif kind in ("pay", "decline"):
            picks = step[1] if kind == "pay" else [step[1]]
            ids = sorted({invoices[i % len(invoices)].id for i in picks})
            before = [Invoice.get_by_id(i) for i in ids]
            card = good if kind == "pay" else bad
            if not all(payable(inv) for inv in before):
                with pytest.raises(PaymentError):
                    svc.payments.pay(client_id, ids, card.id)
                continue
            result = svc.payments.pay(client_id, ids, card.id)
            if kind == "decline":
                assert result.status == AttemptStatus.FAILED
                assert [Invoice.get_by_id(i).balance for i in ids] == [b.balance for b in before]
                continue
            assert result.status == AttemptStatus.SUCCEEDED, result.message
            assert svc.payments.flush_receipts()  # sent now, not while the next example is drawn
            assert result.amount == sum(inv.balance for inv in before)
            payment = Payment.get(Payment.reference == result.reference)
            payments.append(payment.id)
            assert all(Invoice.get_by_id(i).status == InvoiceStatus.PAID for i in ids)
        elif kind == "refund":
            if not payments:
                continue
            payment = Payment.get_by_id(payments[step[1] % len(payments)])
            left = payment.amount - payment.amount_refunded
            amount = max(1, left * step[2] // 100)
            if amount > left:
                with pytest.raises(PaymentError, match="At most"):
                    svc.payments.refund(payment.id, amount, actor="owner")
                continue
            svc.payments.refund(payment.id, amount, actor="owner")
            seen_refunded[payment.id] += amount
        else:  # void
            inv = Invoice.get_by_id(invoices[step[1] % len(invoices)].id)
            if inv.amount_paid > 0:
                with pytest.raises(InvoiceError):
                    svc.invoices.void(inv.id)
                continue
            svc.invoices.void(inv.id)
            assert Invoice.get_by_id(inv.id).status == InvoiceStatus.VOID
        check_invariants(client_id, seen_refunded)
