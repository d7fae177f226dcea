"""Refunds give their amount back to the invoices the payment paid."""

from __future__ import annotations

import pytest

from models import AuditLog, Payment, Refund
from models.states import RefundStatus
from services.payments.ledger import PaymentError
from services.payments.refund_reasons import refund_reason
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


def test_a_refund_whose_answer_was_lost_is_settled_by_reconcile(shop):
    """Stripe made the refund but paydesk never heard back: reconcile finds it by its key."""
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(6_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    made = Refund.create(payment=payment.id, amount=2_000, idempotency_key="paydesk-refund-lost")
    Refund.update(status=RefundStatus.UNKNOWN).where(Refund.id == made.id).execute()
    svc.payments.stripe.v1.refunds.create(
        params={
            "payment_intent": payment.stripe_intent_id,
            "amount": 2_000,
            "metadata": {"paydesk_refund": "paydesk-refund-lost"},
        }
    )
    never = Refund.create(payment=payment.id, amount=1_000, idempotency_key="paydesk-refund-none")
    Refund.update(status=RefundStatus.UNKNOWN).where(Refund.id == never.id).execute()

    assert svc.payments.refunds.reconcile() == 2

    assert Refund.get_by_id(made.id).status == RefundStatus.SUCCEEDED
    assert Refund.get_by_id(never.id).status == RefundStatus.FAILED
    assert Payment.get_by_id(payment.id).amount_refunded == 2_000
    assert svc.invoices.get(invoice.id).balance == 2_000


def refund_mails(shop) -> list:
    return [m for m in shop.services.mailer.outbox_messages() if "Refund of" in str(m["Subject"])]


def test_a_refund_keeps_its_reason_tells_stripe_the_code_and_emails_one_receipt(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(6_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    reason = refund_reason("other", "paid twice by check")

    refund_id = svc.payments.refund(payment.id, 2_500, "admin:local:me", reason, "local")

    row = Refund.get_by_id(refund_id)
    assert (row.status, row.reason) == (RefundStatus.SUCCEEDED, "other: paid twice by check")
    at_stripe = stripe_api.v1.refunds.retrieve(row.stripe_refund_id)
    assert at_stripe.metadata.to_dict()["paydesk_reason"] == "other"
    created = AuditLog.get(AuditLog.action == "refund.created")
    assert (created.actor, created.source_address) == ("admin:local:me", "local")
    mails = refund_mails(shop)
    assert len(mails) == 1 and mails[0]["To"] == "client@example.com"
    body = mails[0].get_body(("plain",)).get_content()
    assert "We refunded $25.00 of your payment PAY-" in body and "Visa •••• 4242" in body
    svc.payments.refunds.reconcile()  # nothing pending: no second receipt
    assert len(refund_mails(shop)) == 1


def test_a_refund_is_capped_by_what_is_pending_and_an_offline_payment_is_refused(shop):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(6_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    Refund.create(payment=payment.id, amount=5_000, idempotency_key="paydesk-refund-inflight")
    with pytest.raises(PaymentError, match=r"At most \$10.00"):
        svc.payments.refund(payment.id, 1_001, actor="owner")
    check = Payment.create(client=shop.client_id, reference="CHK-1", amount=100, currency="USD")
    with pytest.raises(PaymentError, match="not paid by card"):
        svc.payments.refund(check.id, 100, actor="owner")


@pytest.mark.parametrize(
    ("code", "comment", "problem"),
    [
        ("whim", "", "Choose a reason"),
        ("other", "  ", "Say why"),
        ("duplicate", "x" * 201, "under 200"),
        ("duplicate", "bad\x1b[2J", "comment"),
    ],
)
def test_refund_reasons_are_checked(code, comment, problem):
    with pytest.raises(PaymentError, match=problem):
        refund_reason(code, comment)


def test_refund_reasons_store_the_code_and_the_comment():
    assert refund_reason("duplicate") == "duplicate"
    assert refund_reason("fraudulent", " card stolen ") == "fraudulent: card stolen"
