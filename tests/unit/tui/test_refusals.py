"""The command line refuses what the business would never mean: one line, exit 1, nothing made."""

from __future__ import annotations

import pytest

from models import Invoice, PaymentAttempt, RecurringInvoice, db
from services.payments.ledger import PaymentError
from tests.fixtures.cli import cli_env, run_cli
from tests.fixtures.payments import intents


def _refused(proc, reason: str) -> None:
    assert proc.returncode == 1, proc
    assert reason in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Nothing=0", "the invoice comes to $0.00: there is nothing to pay"),
        ("Work=100@150%", "a tax rate of 150% is above 100%"),
        ("Cables=1x99999999999999999999", "a quantity of 99999999999999999999 is more than"),
        ("Rack=999999999999999999999", "more than one card payment can take ($999,999.99)"),
        ("Fit-out=1000000", "the invoice comes to $1,000,000.00, more than one card payment"),
    ],
)
def test_invoice_add_refuses(shop, pay_config, line, reason):
    db.close()
    added = run_cli("invoice", "add", "--client", "client@example.com", "--line", line,
                    env=cli_env(pay_config))  # fmt: skip
    _refused(added, reason)
    assert Invoice.select().count() == 0


def test_recurring_add_refuses_negative_days_to_pay(shop, pay_config):
    db.close()
    added = run_cli(
        "recurring", "add", "--client", "client@example.com", "--description", "Plan",
        "--anchor", "2026-12-01", "--line", "Support=250", "--due-days", "-5",
        env=cli_env(pay_config),
    )  # fmt: skip
    _refused(added, "the days to pay cannot be negative (got -5)")
    assert RecurringInvoice.select().count() == 0


def test_pay_refuses_above_the_card_maximum_before_calling_stripe(shop, stripe_api, pay_config):
    shop.services.cards.add_test_card(shop.client_id, "success")
    # An invoice from before the rule (or edited in the database) above what Stripe can charge.
    legacy = shop.invoice(50_000_000)
    Invoice.update(total=150_000_000, subtotal=150_000_000).where(Invoice.id == legacy.id).execute()
    before = len(intents(stripe_api))
    db.close()
    paid = run_cli("pay", legacy.number, env=cli_env(pay_config))
    _refused(paid, f"{legacy.number} comes to $1,500,000.00, more than one card payment can take")
    assert len(intents(stripe_api)) == before
    assert PaymentAttempt.select().count() == 0


def test_paying_several_invoices_together_above_the_maximum_is_refused(shop, stripe_api):
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    first, second = shop.invoice(60_000_000), shop.invoice(60_000_000)
    before = len(intents(stripe_api))
    with pytest.raises(PaymentError, match="pay them one at a time"):
        shop.services.payments.pay(shop.client_id, [first.id, second.id], card.id)
    assert len(intents(stripe_api)) == before and PaymentAttempt.select().count() == 0
    assert shop.services.payments.pay(shop.client_id, [first.id], card.id).status == "succeeded"
