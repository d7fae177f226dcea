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
from services.accounts.identity import SessionInfo
from services.doors.kiosk import ClientDesk
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


def _pause_at(point: str, number: str, env: dict[str, str], marker) -> subprocess.Popen:
    """A real `paydesk pay`, stopped (alive) at `point`."""
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
    return proc


def _kill_at(point: str, number: str, env: dict[str, str], marker) -> None:
    proc = _pause_at(point, number, env, marker)
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
    # (While the payer lives nobody else can pay the invoice; once it is killed, the next
    # `pay` settles its attempt first: test_the_next_pay_settles_a_killed_payers_attempt_at_once.)
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


@pytest.mark.parametrize("point", ["after_submit", "after_confirm"])
def test_the_next_pay_settles_a_killed_payers_attempt_at_once(point, shop, stripe_api, pay_config):
    """No `reconcile`, no waiting for reconcile_min_age: while the payer lives its attempt is
    left alone ("already in progress"); once it is killed, the next `pay` settles it and pays
    (or says it is paid). One charge in total either way."""
    shop.services.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(5_500)
    env = cli_env(pay_config)
    db.close()

    payer = _pause_at(point, invoice.number, env, pay_config.home / "paused")
    try:
        alive = run_cli("pay", invoice.number, "--card", "default", env=env)
        assert alive.returncode == 1 and "already in progress" in alive.stderr
        waits = run_cli("reconcile", env=env)  # reconcile_min_age (60 s) not reached
        assert waits.returncode == 0 and "checked 0" in waits.stdout, waits.stderr
    finally:
        payer.send_signal(signal.SIGKILL)
        assert payer.wait(timeout=30) == -signal.SIGKILL

    started = time.monotonic()
    retry = run_cli("pay", invoice.number, "--card", "default", env=env)
    assert time.monotonic() - started < 30
    if point == "after_confirm":  # the killed payer's charge went through: recorded now
        assert retry.returncode == 1 and "already paid" in retry.stderr, retry.stderr
    else:  # never confirmed: canceled, and this payment charges
        assert retry.returncode == 0, retry.stderr
    succeeded, payments, inv = _state(stripe_api, invoice.id)
    assert len(succeeded) == 1 and len(payments) == 1
    assert inv.status == "paid" and inv.amount_paid == 5_500
    assert payments[0].stripe_intent_id == succeeded[0].id
    assert sorted(i.status for i in intents(stripe_api)) == (
        ["succeeded"] if point == "after_confirm" else ["canceled", "succeeded"]
    )


def test_the_run_and_the_kiosk_settle_a_killed_payers_attempt_at_once(shop, stripe_api, pay_config):
    shop.services.cards.add_test_card(shop.client_id, "success")
    first, second = shop.invoice(1_100), shop.invoice(2_200)
    env = cli_env(pay_config)
    db.close()
    for number, marker in ((first.number, "a"), (second.number, "b")):
        payer = _pause_at("after_confirm", number, env, pay_config.home / marker)
        payer.send_signal(signal.SIGKILL)
        assert payer.wait(timeout=30) == -signal.SIGKILL

    # The kiosk opening the invoice settles the killed session's payment before showing it.
    session = SessionInfo(1, shop.client_id, shop.business_id, "client@example.com", "A", "client")
    desk = ClientDesk(shop.services.kiosk()._parts, session, shop.client_id, "")
    assert desk.invoice(first.id).status == "paid"
    # `paydesk reconcile` (as the run does) does not wait for reconcile_min_age either.
    done = run_cli("reconcile", env=env)
    assert done.returncode == 0 and "checked 1: 1 paid" in done.stdout, done.stdout
    db.close()
    assert Invoice.get_by_id(second.id).status == "paid"
    assert Payment.select().count() == 2
