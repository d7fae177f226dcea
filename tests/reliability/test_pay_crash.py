"""Kill `paydesk pay` (SIGKILL) between the steps of DESIGN.md §5, then `paydesk reconcile`.

The paying process is a real subprocess. PAYDESK_PAUSE_AT makes it stop at one step and
write its pid to PAYDESK_PAUSE_FILE (services.faults.pause_point); the test then kills it
with SIGKILL. After `paydesk reconcile`: exactly one Payment or none, never two, and the
invoice is paid exactly when Stripe holds a succeeded PaymentIntent. Paying again then ends
with one charge in total.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from models import Invoice, Payment, PaymentAllocation, PaymentAttempt, db
from services.mail.mailer import Mailer
from tests.fixtures.cli import ROOT, cli_env, run_cli
from tests.fixtures.payments import intents

# point -> (attempt status left by the crash, intent statuses at Stripe before reconcile)
POINTS = {
    "after_insert": ("created", []),
    "after_create": ("created", ["requires_confirmation"]),
    "after_submit": ("submitted", ["requires_confirmation"]),
    "after_confirm": ("submitted", ["succeeded"]),
}


def _kill_at(point: str, number: str, env: dict[str, str], marker) -> None:
    env = dict(env, PAYDESK_PAUSE_AT=point, PAYDESK_PAUSE_FILE=str(marker))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "pay", number, "--card", "default"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the payer never reached the pause point"
        time.sleep(0.01)
    assert int(marker.read_text()) == proc.pid
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _state(stripe_api, invoice_id):
    db.close()  # fresh reads
    succeeded = [i for i in intents(stripe_api) if i.status == "succeeded"]
    invoice = Invoice.get_by_id(invoice_id)
    return succeeded, list(Payment.select()), invoice


@pytest.mark.parametrize("point", list(POINTS))
def test_crash_then_reconcile_settles_exactly_once(point, shop, stripe_api, pay_config):
    svc = shop.services
    svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(7_700)
    env = cli_env(pay_config)
    db.close()

    _kill_at(point, invoice.number, env, pay_config.home / "paused")

    left_status, left_intents = POINTS[point]
    attempt = PaymentAttempt.get()
    assert attempt.status == left_status
    assert [i.status for i in intents(stripe_api)] == left_intents
    assert Payment.select().count() == 0
    # While the attempt is open, nobody can start another payment of the invoice.
    blocked = run_cli("pay", invoice.number, "--card", "default", env=env)
    assert blocked.returncode == 1
    assert "already in progress" in blocked.stderr and "Traceback" not in blocked.stderr

    done = run_cli("reconcile", "--min-age", "0", env=env)
    assert done.returncode == 0, done.stderr

    succeeded, payments, inv = _state(stripe_api, invoice.id)
    assert len(payments) == len(succeeded) <= 1
    assert (inv.status == "paid") == bool(succeeded)
    assert PaymentAttempt.get().status == ("succeeded" if succeeded else "failed")
    if succeeded:
        assert payments[0].stripe_intent_id == succeeded[0].id
        assert [a.amount for a in PaymentAllocation.select()] == [7_700]
    # No intent is left that could still be confirmed by us (the orphan of a lost create
    # is never confirmed: its id was never stored).
    if point == "after_submit":
        assert [i.status for i in intents(stripe_api)] == ["canceled"]

    again = run_cli("reconcile", "--min-age", "0", env=env)
    assert again.returncode == 0 and "checked 0" in again.stdout

    # The client pays again (or is told it is already paid): one charge in total.
    retry = run_cli("pay", invoice.number, "--card", "default", env=env)
    if succeeded:
        assert retry.returncode == 1 and "already paid" in retry.stderr
    else:
        assert retry.returncode == 0, retry.stderr
    succeeded, payments, inv = _state(stripe_api, invoice.id)
    assert len(succeeded) == 1 and len(payments) == 1
    assert inv.status == "paid" and inv.amount_paid == 7_700
    # One receipt for the one payment, whichever process recorded it.
    receipts = [m for m in Mailer(pay_config).outbox_messages() if "Receipt" in m["Subject"]]
    assert len(receipts) == 1 and payments[0].reference in receipts[0]["Subject"]


def test_pause_point_is_off_without_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "PAYDESK_PAUSE_AT"}
    code = "from services.faults import pause_point; pause_point('after_insert'); print('ok')"
    # With the pause point on, the child would sleep forever: time out (fail), never hang.
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "ok"
