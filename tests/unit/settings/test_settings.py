"""Settings: refused field by field, audited with before and after, and used — the run's
retry and reminder schedules, the SSH door emails name, numbering, the default auto-bill
mode, the charge day, the currency of new invoices."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from models import AuditLog, Business, EmailLog, Invoice, PaymentAttempt
from services.billing.run import make_runner
from services.doors.admin import AdminActor
from services.invoices.views import LineInput
from services.settings.service import SettingsRefused, SettingsService

ANCHOR = date(2026, 3, 2)
DUE = ANCHOR + timedelta(days=14)
OWNER = AdminActor.ssh_key("SHA256:owner", "198.51.100.7")


def _door(shop):
    return shop.services.admin(OWNER)


def _save(shop, **form: str) -> dict:
    return _door(shop).settings.save(form)


def _plan(shop, mode: str | None = "optout"):
    return shop.services.recurring.add(
        shop.client_id, "Managed IT support", "monthly", ANCHOR,
        [LineInput("Support plan", 25_000)], autobill_mode=mode,
    ).view  # fmt: skip


def _card(shop, kind: str = "success"):
    card = shop.services.cards.add_test_card(shop.client_id, kind)
    shop.services.cards.set_default(shop.client_id, card.id)


def _keys(prefix: str) -> list[str]:
    query = EmailLog.select().where(EmailLog.event_key.startswith(prefix))
    return sorted(row.event_key for row in query)


def test_each_bad_field_is_refused_by_name_and_nothing_is_saved(shop):
    shop.invoice()  # INV-0001
    before = Business.get_by_id(shop.business_id).__data__.copy()
    with pytest.raises(SettingsRefused) as refused:
        _save(
            shop,
            name="Desktop Masters Ltd",  # fine, but not saved with the others refused
            billing_email="billing.example.com",
            currency="XYZ",
            timezone="Mars/Olympus_Mons",
            retry_days="3, 1",
            reminder_days="2, 2",
            ssh_port="70000",
            tax_rates="VAT twenty",
            next_invoice_number="1",
            idle_timeout="5",
        )
    problems = refused.value.problems
    assert set(problems) == {
        "billing_email", "currency", "timezone", "retry_days", "reminder_days", "ssh_port",
        "tax_rates", "next_invoice_number", "idle_timeout",
    }  # fmt: skip
    assert problems["timezone"].startswith("Time zone: 'Mars/Olympus_Mons' is not a time zone")
    assert problems["retry_days"] == "Retry days: each day after the one before, like 1, 3, 7"
    assert (
        problems["next_invoice_number"] == "Next invoice number: above INV-0001, the last one used"
    )
    assert "not an email address" in problems["billing_email"]
    assert Business.get_by_id(shop.business_id).__data__ == before
    assert not AuditLog.select().where(AuditLog.action == "settings.changed").exists()


def test_a_change_is_audited_once_with_before_and_after(shop):
    changes = _save(
        shop, name="Desktop Masters Ltd", timezone="Europe/Paris", retry_days="2, 5",
        tax_rates="VAT 20; Reduced 5.5", ssh_host="billing.example.net",
    )  # fmt: skip
    assert changes["timezone"] == ("UTC", "Europe/Paris")
    row = AuditLog.get(AuditLog.action == "settings.changed")
    assert (row.actor, row.source_address) == ("admin:key:SHA256:owner", "198.51.100.7")
    assert json.loads(row.detail)["changes"] == {
        "name": ["Desktop Masters", "Desktop Masters Ltd"],
        "timezone": ["UTC", "Europe/Paris"],
        "retry_days": [[1, 3, 7], [2, 5]],
        "tax_rates": [[], [["VAT", 2000], ["Reduced", 550]]],
        "ssh_host": ["127.0.0.1", "billing.example.net"],
    }
    view = _door(shop).settings.view()
    assert view.values["tax_rates"] == "VAT 20; Reduced 5.5"
    assert view.sources["retry_days"].startswith("set here; default 1, 3, 7")
    assert view.sources["reminder_days"].startswith("default (")
    assert _save(shop, name="Desktop Masters Ltd", retry_days="2,5") == {}  # nothing changed
    assert AuditLog.select().where(AuditLog.action == "settings.changed").count() == 1


def test_the_run_retries_on_the_stored_schedule(shop, stripe_api):
    _save(shop, retry_days="2, 4")
    _card(shop, "declined")
    _plan(shop)
    runner = make_runner(shop.services, rate=0)
    attempts_on = []
    for offset in range(0, 8):
        before = PaymentAttempt.select().count()
        runner.run(as_of=DUE + timedelta(days=offset))
        if PaymentAttempt.select().count() > before:
            attempts_on.append(offset)
    assert attempts_on == [0, 2, 4]  # the default would be 0, 1, 3, 7


def test_the_run_reminds_on_the_stored_schedule(shop):
    _save(shop, reminder_days="5, 12")
    _plan(shop, mode="off")
    runner = make_runner(shop.services, rate=0)
    for offset in range(0, 14):
        runner.run(as_of=DUE + timedelta(days=offset))
    inv = Invoice.select().order_by(Invoice.id).first()
    assert _keys(f"overdue:{inv.id}:") == [f"overdue:{inv.id}:12", f"overdue:{inv.id}:5"]


def test_emails_name_the_stored_ssh_host_and_port(shop):
    _save(shop, ssh_host="billing.example.net", ssh_port="2200")
    _plan(shop, mode="off")
    make_runner(shop.services, rate=0).run(as_of=ANCHOR)  # issues and emails the invoice
    door = _door(shop)
    door.client_edits.invite_client(shop.client_id)
    texts = [m.get_body(("plain",)).get_content() for m in shop.services.mailer.outbox_messages()]
    assert any("ssh -t -p 2200 billing.example.net view" in t for t in texts), texts
    assert any("ssh -p 2200 billing.example.net" in t and "view" not in t for t in texts)
    assert not any("-p 2222" in t or "ssh 127.0.0.1" in t for t in texts)  # the defaults


def test_numbering_and_the_next_number_never_below_one_used(shop):
    shop.invoice()  # INV-0001
    _save(shop, invoice_prefix="DM-", next_invoice_number="100")
    assert shop.invoice().number == "DM-0100"
    with pytest.raises(SettingsRefused) as refused:
        _save(shop, next_invoice_number="100")
    assert refused.value.problems == {
        "next_invoice_number": "Next invoice number: above DM-0100, the last one used"
    }
    # back to the old prefix: only above what that prefix used
    _save(shop, invoice_prefix="INV-", next_invoice_number="2")
    assert shop.invoice().number == "INV-0002"


def test_new_recurring_invoices_take_the_stored_auto_bill_mode(shop):
    assert _plan(shop, mode=None).autobill_mode == "optout"
    _save(shop, autobill_mode="optin")
    assert _plan(shop, mode=None).autobill_mode == "optin"
    assert _plan(shop, mode="always").autobill_mode == "always"  # a choice still wins


def test_charge_day_issue_charges_on_the_issue_date(shop, stripe_api):
    _save(shop, autobill_on="issue")
    _card(shop)
    _plan(shop)
    assert make_runner(shop.services, rate=0).run(as_of=ANCHOR).charged == 1


def test_currency_applies_to_new_invoices_and_is_refused_once_invoiced(shop):
    _save(shop, currency="eur")
    assert shop.invoice().currency == "EUR"
    with pytest.raises(SettingsRefused) as refused:
        _save(shop, currency="USD")
    assert refused.value.problems["currency"] == (
        "Currency: the business has invoices in EUR; amounts would be mixed"
    )


def test_stripe_mode_is_read_from_the_key(shop):
    import dataclasses

    config = shop.services.config
    mode = SettingsService(config).view(shop.business_id).stripe_mode
    live = dataclasses.replace(config, stripe_api_key="sk_live_abc")
    test = dataclasses.replace(config, stripe_api_key="rk_test_abc")
    assert mode == "sandbox"
    assert SettingsService(live).view(shop.business_id).stripe_mode == "live"
    assert SettingsService(test).view(shop.business_id).stripe_mode == "test"
