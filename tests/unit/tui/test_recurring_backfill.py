"""`paydesk recurring add` with a past anchor: the next period unless --backfill; back-filled
invoices emailed as past due, auto-charged only with `--backfill charge` (issue 11, item 4)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from models import Invoice, InvoiceBilling, Payment, db
from services.billing.schedule import index_on_or_after, period_date
from services.clock import business_today
from tests.fixtures.cli import cli_env, run_cli

PAST_DATE = re.compile(r"charge [^.]* on (\w+ \d+, \d{4})")


def _setup(shop, pay_config):
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    shop.services.cards.set_default(shop.client_id, card.id)
    env = cli_env(pay_config)
    today = business_today("UTC")
    anchor = today - timedelta(days=300)  # ten months or so ago
    past = index_on_or_after(anchor, "monthly", today)  # the periods before today

    def run(*args: str):
        return run_cli(*args, env=env)

    def add(*extra: str):
        return run(
            "recurring", "add", "--client", "client@example.com", "--description", "Support",
            "--anchor", str(anchor), "--line", "Support=250", *extra,
        )  # fmt: skip

    return run, add, today, anchor, past


def _summary(run) -> dict:
    done = run("run", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _texts(shop) -> list[str]:
    return [
        str(m.get_body(("plain",)).get_content())
        for m in shop.services.mailer.outbox_messages()
        if str(m["Subject"]).startswith("Invoice ")
    ]


def test_a_past_anchor_starts_at_the_next_period_and_says_so(shop, pay_config):
    run, add, today, anchor, past = _setup(shop, pay_config)
    added = add()
    assert added.returncode == 0, added.stderr
    first = period_date(anchor, "monthly", past)
    assert f"next {first}" in added.stdout
    assert f"{anchor} is in the past: billing starts with the next period" in added.stdout
    assert "--backfill" in added.stdout
    summary = _summary(run)
    assert (summary["generated"], summary["emailed"], summary["charged"]) == (0, 0, 0)
    assert Invoice.select().count() == 0


def test_backfilled_invoices_are_emailed_past_due_and_not_charged(shop, pay_config):
    run, add, today, anchor, past = _setup(shop, pay_config)
    added = add("--backfill")
    assert added.returncode == 0, added.stderr
    assert f"back-filled {past} past period(s): INV-0001 … INV-{past:04d}" in added.stdout
    assert "not auto-charged" in added.stdout
    summary = _summary(run)
    assert (summary["generated"], summary["emailed"], summary["charged"]) == (0, past, 0)
    db.close()
    assert Payment.select().count() == 0
    assert {row.charge_state for row in InvoiceBilling.select()} == {"none"}
    texts = _texts(shop)
    assert len(texts) == past
    for text in texts:
        assert "is past due" in text and "Automatic payment" not in text


def test_backfill_charge_charges_them_and_promises_no_past_date(shop, pay_config):
    run, add, today, anchor, past = _setup(shop, pay_config)
    added = add("--backfill", "charge")
    assert added.returncode == 0, added.stderr
    assert "and auto-charged" in added.stdout
    summary = _summary(run)
    assert (summary["emailed"], summary["charged"]) == (past, past)
    texts = _texts(shop)
    assert len(texts) == past
    for text in texts:
        assert "is past due" in text
        assert "we will charge $250.00 to your Visa •••• 4242 today" in text
        assert not PAST_DATE.search(text), PAST_DATE.search(text)


def test_backfill_needs_a_past_first_period(shop, pay_config):
    run, add, today, anchor, past = _setup(shop, pay_config)
    refused = run(
        "recurring", "add", "--client", "client@example.com", "--description", "Support",
        "--anchor", str(today + timedelta(days=3)), "--line", "Support=250", "--backfill",
    )  # fmt: skip
    assert refused.returncode == 1
    assert "is not in the past; nothing to back-fill" in refused.stderr
