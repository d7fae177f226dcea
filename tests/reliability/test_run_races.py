"""A client paying in the kiosk at the very moment the run auto-charges the same invoice, and
a client turning auto-billing off while the run charges: never two charges, never a charge
after the "off" committed."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

from models import Invoice, InvoiceBilling, Payment, PaymentAllocation, PaymentAttempt, db
from services.billing.run import make_runner
from services.invoices.views import LineInput
from services.payments.ledger import PaymentError
from tests.fixtures.payments import intents

ANCHOR = date(2026, 3, 2)
DUE = ANCHOR + timedelta(days=14)
PLANS = 6


def _setup(shop):
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    shop.services.cards.set_default(shop.client_id, card.id)
    plans = [
        shop.services.recurring.add(
            shop.client_id, f"Plan {n}", "monthly", ANCHOR, [LineInput("Support", 10_000 + n)]
        ).view
        for n in range(PLANS)
    ]
    runner = make_runner(shop.services, rate=0)
    runner.run(as_of=ANCHOR)  # generated and emailed, not yet due
    return card, plans, runner


def _together(*jobs):
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def wrap(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test looks at what happened
            results[i] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=wrap, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_kiosk_payment_racing_the_auto_charge_charges_once(shop, stripe_api):
    card, _, runner = _setup(shop)
    for inv in Invoice.select().order_by(Invoice.id):
        kiosk, auto = _together(
            lambda inv=inv: shop.services.payments.pay(
                shop.client_id, [inv.id], card.id, source="kiosk"
            ),
            lambda inv=inv: runner.autobiller.charge(inv.id, DUE),
        )
        assert not isinstance(auto, Exception), auto
        assert isinstance(kiosk, PaymentError) or kiosk.status == "succeeded", kiosk
    shop.services.payments.flush_receipts()
    per_invoice = Counter(a.invoice_id for a in PaymentAllocation.select())
    assert sorted(per_invoice.values()) == [1] * PLANS
    succeeded = [pi for pi in intents(stripe_api) if pi.status == "succeeded"]
    assert len(succeeded) == Payment.select().count() == PLANS
    # the run afterwards finds nothing left to charge
    assert runner.run(as_of=DUE).charged == 0
    assert all(
        b.charge_state in ("paid", "scheduled") or Invoice.get_by_id(b.invoice_id).status == "paid"
        for b in InvoiceBilling.select()
    )


def test_turning_auto_billing_off_while_the_run_charges(shop, stripe_api):
    _, plans, runner = _setup(shop)
    invoices = {inv.recurring_id: inv for inv in Invoice.select()}
    for plan in plans:
        inv = invoices[plan.id]
        off, outcome = _together(
            lambda plan=plan: shop.services.recurring.set_client_autobill(
                shop.client_id, plan.id, False, actor="contact:1"
            ),
            lambda inv=inv: runner.autobiller.charge(inv.id, DUE),
        )
        assert not isinstance(off, Exception), off
        assert not isinstance(outcome, Exception), outcome
        paid = Invoice.get_by_id(inv.id).status == "paid"
        # either the charge's lock came first (charged, then "off" applies to later invoices)
        # or the "off" committed first and nothing was charged
        assert (outcome.kind == "charged") == paid
        if outcome.kind != "charged":
            assert outcome.kind == "disabled"
    assert len([pi for pi in intents(stripe_api) if pi.status == "succeeded"]) == (
        Payment.select().count()
    )
    assert PaymentAttempt.select().count() == Payment.select().count()
