"""Kill a refunding process (SIGKILL) right after Stripe made the refund, before paydesk
recorded Stripe's answer; then `paydesk reconcile`: the refund is recorded once, its amount
goes back to the invoice once, one refund receipt, and nothing more can be refunded than
was captured."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from models import Invoice, Payment, Refund, db
from models.states import RefundStatus
from services.mail.mailer import Mailer
from tests.fixtures.cli import ROOT, cli_env, run_cli

REFUND = """
from services.config import load_config
from services.container import build_services
build_services(load_config()).payments.refund({payment}, {amount}, actor="owner")
"""


def _refunds_at_stripe(stripe_api, intent_id: str) -> list:
    listed = stripe_api.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
    return list(listed.auto_paging_iter())


def test_a_refund_killed_after_stripe_made_it_is_recorded_once(shop, stripe_api, pay_config):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(8_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    env = cli_env(
        pay_config,
        PAYDESK_PAUSE_AT="refund:after_create",
        PAYDESK_PAUSE_FILE=str(pay_config.home / "paused"),
    )
    db.close()

    code = REFUND.format(payment=payment.id, amount=3_000)
    child = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=ROOT, stderr=subprocess.PIPE
    )
    marker = pay_config.home / "paused"
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the refund never reached Stripe"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL

    # Stripe made it; paydesk only knows it asked.
    assert [r.amount for r in _refunds_at_stripe(stripe_api, payment.stripe_intent_id)] == [3_000]
    assert Refund.get().status != RefundStatus.SUCCEEDED
    assert Payment.get_by_id(payment.id).amount_refunded == 0

    env.pop("PAYDESK_PAUSE_AT")
    for _ in range(2):  # the second pass finds nothing left to do
        done = run_cli("reconcile", "--min-age", "0", env=env)
        assert done.returncode == 0, done.stderr
        db.close()
        assert Refund.get().status == RefundStatus.SUCCEEDED
        assert Payment.get_by_id(payment.id).amount_refunded == 3_000
        assert Invoice.get_by_id(invoice.id).amount_paid == 5_000

    # Only what is left can be refunded, and Stripe holds exactly what paydesk recorded.
    refused = REFUND.format(payment=payment.id, amount=6_000)
    out = subprocess.run(
        [sys.executable, "-c", refused], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode != 0 and "At most $50.00" in out.stderr
    assert [r.amount for r in _refunds_at_stripe(stripe_api, payment.stripe_intent_id)] == [3_000]
    receipts = [m for m in Mailer(pay_config).outbox_messages() if "refund" in m["Subject"].lower()]
    assert len(receipts) == 1
