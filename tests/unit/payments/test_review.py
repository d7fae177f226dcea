"""A payment whose PaymentIntent Stripe no longer knows (404): needs review, listed by
`paydesk failures`, never charged again meanwhile, settled by `paydesk reconcile --resolve`.

Stripe forgets for real: the localstripe the payment was made on is emptied (as a lost
sandbox state, or a key switched to another account, would look to paydesk).
"""

from __future__ import annotations

import getpass
import json

import requests

from models import AuditLog, Client, EmailLog, Invoice, Payment, PaymentAttempt, PaymentMethod, db
from services.payments import ledger
from tests.fixtures.cli import cli_env, run_cli

FORGOTTEN = "Stripe does not know payment intent"


def _attempt_stripe_forgot(shop, stripe_api, sandbox_url, amount: int = 4_200):
    """An attempt with its intent created and stored (its payer then crashed), then Stripe
    loses every object it held."""
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(amount)
    opened = ledger.open_attempt(shop.client_id, [invoice.id], card.id, "kiosk", False, "t", "")
    intent = stripe_api.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": card_customer(shop),
            "payment_method": opened.stripe_pm_id,
            "payment_method_types": ["card"],
        }
    )
    assert ledger.set_submitted(opened.id, intent.id)
    requests.delete(f"{sandbox_url}/_config/data", timeout=10).raise_for_status()
    return invoice, opened.id, intent.id


def card_customer(shop) -> str:
    return Client.get_by_id(shop.client_id).stripe_customer_id


def _reconcile(env):
    db.close()
    return run_cli("reconcile", "--min-age", "0", env=env)


def _resolutions() -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.action == "payment.resolved"))


def test_forgotten_intent_needs_review_then_resolved_failed(
    shop, stripe_api, sandbox_url, pay_config
):
    invoice, attempt_id, intent_id = _attempt_stripe_forgot(shop, stripe_api, sandbox_url)
    env = cli_env(pay_config)
    reference = f"PAY-{attempt_id:06d}"

    done = _reconcile(env)
    assert done.returncode == 1 and "1 need review" in done.stdout, done.stdout + done.stderr
    attempt = PaymentAttempt.get_by_id(attempt_id)
    assert attempt.status == "needs_review"
    assert FORGOTTEN in attempt.failure_message and intent_id in attempt.failure_message
    assert "checked 0" in _reconcile(env).stdout  # left to the owner, not asked again

    listed = run_cli("failures", env=env)
    assert invoice.number in listed.stdout and "needs review" in listed.stdout
    assert f"--resolve {reference} failed|succeeded" in listed.stdout
    as_json = json.loads(run_cli("failures", "--json", env=env).stdout)
    assert [(r["kind"], r["state"]) for r in as_json] == [("payment", "needs_review")]

    # Meanwhile nobody can pay it again: it may have been charged.
    # Stripe lost the customer and the card too: the client saves a card again.
    Client.update(stripe_customer_id=None).where(Client.id == shop.client_id).execute()
    PaymentMethod.delete().where(PaymentMethod.client == shop.client_id).execute()
    fresh = shop.services.cards.add_test_card(shop.client_id, "success")
    shop.services.cards.set_default(shop.client_id, fresh.id)
    db.close()
    blocked = run_cli("pay", invoice.number, "--card", "default", env=env)
    assert blocked.returncode == 1 and "waiting for the business to check it" in blocked.stderr

    resolved = run_cli("reconcile", "--resolve", reference, "failed", env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert f"{reference} marked not charged; {invoice.number} can be paid again" in resolved.stdout
    db.close()
    attempt = PaymentAttempt.get_by_id(attempt_id)
    assert (attempt.status, attempt.failure_code) == ("failed", "reviewed")
    [entry] = _resolutions()
    assert (entry.actor, entry.subject) == (f"cli:{getpass.getuser()}", reference)
    assert json.loads(entry.detail)["outcome"] == "failed" and entry.at is not None
    assert "needs review" not in run_cli("failures", env=env).stdout

    again = run_cli("reconcile", "--resolve", reference, "succeeded", env=env)
    assert again.returncode == 1 and "is not waiting for review" in again.stderr
    paid = run_cli("pay", invoice.number, "--card", "default", env=env)
    assert paid.returncode == 0, paid.stderr
    db.close()
    assert Invoice.get_by_id(invoice.id).status == "paid" and Payment.select().count() == 1


def test_forgotten_intent_resolved_succeeded_records_the_payment(
    shop, stripe_api, sandbox_url, pay_config
):
    invoice, attempt_id, intent_id = _attempt_stripe_forgot(shop, stripe_api, sandbox_url)
    env = cli_env(pay_config)
    reference = f"PAY-{attempt_id:06d}"
    assert _reconcile(env).returncode == 1

    bad = run_cli("reconcile", "--resolve", reference, "maybe", env=env)
    assert bad.returncode == 1 and "say 'failed' or 'succeeded'" in bad.stderr
    resolved = run_cli("reconcile", "--resolve", reference.lower(), "succeeded", env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert "Paid $42.00" in resolved.stdout and reference in resolved.stdout
    db.close()
    inv = Invoice.get_by_id(invoice.id)
    assert (inv.status, inv.amount_paid) == ("paid", 4_200)
    [payment] = Payment.select()
    assert (payment.reference, payment.stripe_intent_id, payment.amount) == (
        reference,
        intent_id,
        4_200,
    )
    assert PaymentAttempt.get_by_id(attempt_id).status == "succeeded"
    [entry] = _resolutions()
    assert json.loads(entry.detail) == {
        "outcome": "succeeded",
        "amount": 4_200,
        "intent": intent_id,
    }
    receipts = EmailLog.select().where(EmailLog.event_key.startswith("receipt:"))
    assert [row.status for row in receipts] == ["sent"]
    assert run_cli("failures", env=env).stdout.strip() == "no failed charges or emails"
    twice = run_cli("pay", invoice.number, "--card", "default", env=env)
    assert twice.returncode == 1 and "already paid" in twice.stderr
