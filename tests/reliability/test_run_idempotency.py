"""`paydesk run` as real processes: two at once, repeated, and SIGKILLed at every phase
(and inside the payment) → exactly one invoice and one invoice email per period, at most
one charge per period, and what is owed adds up."""

from __future__ import annotations

import pytest

from models import InvoiceBilling, Payment, PaymentAttempt
from tests.fixtures.billing_run import (
    PERIODS,
    PLANS,
    check_exactly_once,
    kill_run_at,
    run_to_end,
    start_run,
)
from tests.fixtures.payments import intents

pytestmark = pytest.mark.slow


def test_repeated_run_changes_nothing(billing, pay_config, stripe_api):
    run_to_end(pay_config)
    run_to_end(pay_config)
    check_exactly_once(billing, stripe_api)
    assert PaymentAttempt.select().count() == PLANS * len(PERIODS)


def test_two_runs_at_once(billing, pay_config, stripe_api):
    procs = [start_run(pay_config), start_run(pay_config)]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    check_exactly_once(billing, stripe_api)
    run_to_end(pay_config)
    check_exactly_once(billing, stripe_api)


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
    kill_run_at(pay_config, tmp_path, point)
    run_to_end(pay_config)
    run_to_end(pay_config)
    check_exactly_once(billing, stripe_api)


@pytest.mark.parametrize("state", ["submitted", "unknown"])
def test_reconcile_finishes_a_charge_left_unrecorded(
    billing, pay_config, stripe_api, tmp_path, state
):
    """Killed after Stripe charged the card but before paydesk recorded it: the next pass's
    reconcile step retrieves the PaymentIntent by its stored id and finishes the record."""
    import json

    from services.payments import ledger as payment_ledger

    kill_run_at(pay_config, tmp_path, "after_confirm")
    attempt = PaymentAttempt.get()
    assert attempt.status == "submitted" and attempt.stripe_intent_id
    assert [pi.status for pi in intents(stripe_api)] == ["succeeded"]  # charged, not recorded
    if state == "unknown":  # what a timeout on the confirm call leaves
        payment_ledger.set_unknown(attempt.id, "timed out")
        assert PaymentAttempt.get().status == "unknown"
    assert InvoiceBilling.get(
        InvoiceBilling.invoice == attempt.items[0].invoice_id
    ).charge_state == ("charging")
    summary = json.loads(run_to_end(pay_config))
    assert summary["reconciled"] == 1
    assert PaymentAttempt.get_by_id(attempt.id).status == "succeeded"
    invoice_id = attempt.items[0].invoice_id
    assert InvoiceBilling.get(InvoiceBilling.invoice == invoice_id).charge_state == "paid"
    assert Payment.get(Payment.attempt == attempt.id).stripe_intent_id == attempt.stripe_intent_id
    check_exactly_once(billing, stripe_api)
