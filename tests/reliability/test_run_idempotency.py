"""`paydesk run` as real processes: two at once, repeated, and SIGKILLed at every phase
(and inside the payment) → exactly one invoice and one invoice email per period, at most
one charge per period, and what is owed adds up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from models import (
    EmailLog,
    Invoice,
    InvoiceBilling,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
)
from services.invoices.views import LineInput
from tests.fixtures.cli import ROOT, cli_env
from tests.fixtures.payments import intents

AS_OF = "2026-03-30"
PLANS = 3
PERIODS = [date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)]
PRICE = 25_000

pytestmark = pytest.mark.slow


@pytest.fixture
def billing(shop, pay_config):
    (pay_config.home / "paydesk.toml").write_text("reconcile_min_age = 0\n")
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    shop.services.cards.set_default(shop.client_id, card.id)
    for n in range(PLANS):
        shop.services.recurring.add(
            shop.client_id,
            f"Plan {n}",
            "monthly",
            PERIODS[0],
            [LineInput(f"Service {n}", PRICE)],
        )
    return shop


def _start(config, pause_at: str | None = None, marker: Path | None = None) -> subprocess.Popen:
    env = cli_env(config)
    if pause_at:
        env.update(PAYDESK_PAUSE_AT=pause_at, PAYDESK_PAUSE_FILE=str(marker))
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--as-of", AS_OF, "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _paused(config, tmp_path: Path, point: str) -> subprocess.Popen:
    """A `paydesk run` process stopped at the fault point `point` (services.faults)."""
    marker = tmp_path / "paused"
    proc = _start(config, pause_at=point, marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"never reached {point}"
        time.sleep(0.05)
    return proc


def _kill_at(config, tmp_path: Path, point: str) -> None:
    """Run `paydesk run` until `point`, then SIGKILL it there."""
    proc = _paused(config, tmp_path, point)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def _run(config) -> str:
    proc = _start(config)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    return out


def _check_exactly_once(shop, stripe_api) -> None:
    invoices = list(Invoice.select())
    periods = Counter((inv.recurring_id, inv.period_start) for inv in invoices)
    assert len(periods) == PLANS * len(PERIODS)
    assert set(periods.values()) == {1}
    # one invoice email per invoice, in the log and in the outbox
    keys = [r.event_key for r in EmailLog.select().where(EmailLog.event_key.startswith("invoice:"))]
    assert sorted(keys) == sorted(f"invoice:{inv.id}" for inv in invoices)
    unsent = [
        (r.event_key, r.status, r.last_error)
        for r in EmailLog.select().where(
            EmailLog.event_key.startswith("invoice:") & (EmailLog.status != "sent")
        )
    ]
    assert unsent == []
    # receipts: at most one per payment (one the SIGKILL caught mid-delivery stays
    # "pending": the mail log is at-most-once, and `paydesk failures` shows it)
    receipts = Counter(
        m["Subject"]
        for m in shop.services.mailer.outbox_messages()
        if m["Subject"].startswith("Receipt")
    )
    assert all(count == 1 for count in receipts.values())
    subjects = Counter(m["Subject"] for m in shop.services.mailer.outbox_messages())
    invoice_mails = [s for s in subjects if s.startswith("Invoice ")]
    assert len(invoice_mails) == len(invoices)
    assert all(subjects[s] == 1 for s in invoice_mails)
    # at most one charge per invoice; every Stripe charge is one Payment
    per_invoice = Counter(a.invoice_id for a in PaymentAllocation.select())
    assert all(count == 1 for count in per_invoice.values())
    succeeded = [pi for pi in intents(stripe_api) if pi.status == "succeeded"]
    assert len(succeeded) == Payment.select().count()
    # everything due by the as-of date is paid, and what is owed adds up
    owed = shop.services.invoices.owed(shop.client_id, today=date.fromisoformat(AS_OF))
    paid = sum(p.amount for p in Payment.select())
    assert paid + owed.total == PRICE * PLANS * len(PERIODS)
    assert owed.total == 0
    assert all(inv.status == "paid" for inv in invoices)
    assert InvoiceBilling.select().where(InvoiceBilling.emailed_at.is_null()).count() == 0


def test_repeated_run_changes_nothing(billing, pay_config, stripe_api):
    _run(pay_config)
    _run(pay_config)
    _check_exactly_once(billing, stripe_api)
    assert PaymentAttempt.select().count() == PLANS * len(PERIODS)


def test_two_runs_at_once(billing, pay_config, stripe_api):
    procs = [_start(pay_config), _start(pay_config)]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    _check_exactly_once(billing, stripe_api)
    _run(pay_config)
    _check_exactly_once(billing, stripe_api)


KILL_POINTS = [
    "run:after_reconcile",
    "run:generated_one",
    "run:after_generate",
    "run:emailed_one",
    "run:after_email",
    "after_insert",  # inside pay(): attempt written, Stripe not called
    "after_create",  # the intent exists at Stripe, its id not stored
    "after_submit",  # id stored, not confirmed
    "after_confirm",  # charged at Stripe, not recorded
    "run:charged_one",
    "run:after_charge",
    "run:after_remind",
]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_at_each_phase(billing, pay_config, stripe_api, tmp_path, point):
    _kill_at(pay_config, tmp_path, point)
    _run(pay_config)
    _run(pay_config)
    _check_exactly_once(billing, stripe_api)


@pytest.mark.parametrize("state", ["submitted", "unknown"])
def test_reconcile_finishes_a_charge_left_unrecorded(
    billing, pay_config, stripe_api, tmp_path, state
):
    """Killed after Stripe charged the card but before paydesk recorded it: the next pass's
    reconcile step retrieves the PaymentIntent by its stored id and finishes the record."""
    import json

    from services.payments import ledger as payment_ledger

    _kill_at(pay_config, tmp_path, "after_confirm")
    attempt = PaymentAttempt.get()
    assert attempt.status == "submitted" and attempt.stripe_intent_id
    assert [pi.status for pi in intents(stripe_api)] == ["succeeded"]  # charged, not recorded
    if state == "unknown":  # what a timeout on the confirm call leaves
        payment_ledger.set_unknown(attempt.id, "timed out")
        assert PaymentAttempt.get().status == "unknown"
    assert InvoiceBilling.get(
        InvoiceBilling.invoice == attempt.items[0].invoice_id
    ).charge_state == ("charging")
    summary = json.loads(_run(pay_config))
    assert summary["reconciled"] == 1
    assert PaymentAttempt.get_by_id(attempt.id).status == "succeeded"
    invoice_id = attempt.items[0].invoice_id
    assert InvoiceBilling.get(InvoiceBilling.invoice == invoice_id).charge_state == "paid"
    assert Payment.get(Payment.attempt == attempt.id).stripe_intent_id == attempt.stripe_intent_id
    _check_exactly_once(billing, stripe_api)
