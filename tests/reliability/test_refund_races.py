"""Refunds at once: threads through the real RefundService against the real sandbox. Whatever
the interleaving, never more is refunded (here or at Stripe) than was captured."""

from __future__ import annotations

import threading

from models import Payment, Refund, db
from models.states import RefundStatus
from services.payments.payments import PaymentError

THREADS = 4


def test_two_full_refunds_at_once_refund_once(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(8_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def refunder() -> None:
        try:
            barrier.wait()
            try:
                svc.payments.refund(payment.id, 6_000, actor="owner", reason="duplicate")
                outcome = "refunded"
            except PaymentError as exc:
                outcome = f"refused: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            db.close()

    threads = [threading.Thread(target=refunder) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert outcomes.count("refunded") == 1, outcomes
    assert all("At most $20.00" in o for o in outcomes if o != "refunded"), outcomes
    at_stripe = list(
        stripe_api.v1.refunds.list(
            params={"payment_intent": payment.stripe_intent_id}
        ).auto_paging_iter()
    )
    assert sum(r.amount for r in at_stripe) == 6_000
    assert Payment.get_by_id(payment.id).amount_refunded == 6_000
    assert [r.status for r in Refund.select()] == [RefundStatus.SUCCEEDED]
    assert svc.invoices.get(invoice.id).balance == 6_000
