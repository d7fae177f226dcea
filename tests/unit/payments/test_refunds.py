"""Refunds give their amount back to the invoices the payment paid."""

from __future__ import annotations

from models import Payment
from services.payments.refunds import refund_shares


def test_the_newest_invoice_takes_a_refund_first():
    assert refund_shares([(1, 60), (2, 40)], 50) == {2: 40, 1: 10}
    assert refund_shares([(1, 60), (2, 40)], 0) == {2: 0, 1: 0}
    assert refund_shares([(1, 60), (2, 40)], 100) == {2: 40, 1: 60}


def test_a_refund_reopens_the_invoices_and_a_fully_refunded_one_can_be_voided(shop):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    first, second = shop.invoice(6_000), shop.invoice(4_000)
    svc.payments.pay(shop.client_id, [first.id, second.id], card.id)
    payment = Payment.get()

    svc.payments.refund(payment.id, 5_000, actor="owner")

    first_now, second_now = svc.invoices.get(first.id), svc.invoices.get(second.id)
    assert (second_now.status, second_now.amount_paid, second_now.balance) == ("sent", 0, 4_000)
    assert (first_now.status, first_now.amount_paid, first_now.balance) == ("partial", 5_000, 1_000)
    svc.invoices.void(second.id)  # nothing paid is left on it
    assert svc.invoices.get(second.id).status == "void"

    svc.payments.refund(payment.id, 5_000, actor="owner")
    assert svc.invoices.get(first.id).status == "sent"
    assert svc.invoices.get(second.id).status == "void"
    assert Payment.get_by_id(payment.id).amount_refunded == 10_000
