"""Paying invoices against a real localstripe and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from models import (
    AttemptInvoice,
    AuditLog,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
)
from services.invoices.views import status_for
from services.payments import ledger as payment_ledger
from services.payments.declines import decline_message
from services.payments.payments import PaymentError
from tests.fixtures.payments import card_like_runs, database_text, intents


def test_pay_with_saved_card(shop, stripe_api, pay_config):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(12_345)

    result = svc.payments.pay(shop.client_id, [invoice.id], card.id, actor="contact:1")

    assert result.status == "succeeded", result.message
    assert result.amount == 12_345 and result.currency == "USD"
    assert result.invoice_numbers == (invoice.number,)
    assert result.card_label == "Visa •••• 4242"
    assert result.reference and result.reference in result.message
    after = svc.invoices.get(invoice.id)
    assert (after.status, after.amount_paid, after.balance) == ("paid", 12_345, 0)
    payment = Payment.get()
    assert Payment.select().count() == 1
    assert (payment.amount, payment.card_last4, payment.reference) == (12_345, "4242", "PAY-000001")
    allocations = [(a.invoice_id, a.amount) for a in PaymentAllocation.select()]
    assert allocations == [(invoice.id, 12_345)]
    attempt = PaymentAttempt.get()
    assert attempt.status == "succeeded"
    assert attempt.stripe_intent_id == payment.stripe_intent_id
    # What Stripe holds: one confirmed intent for the amount, tagged with the attempt.
    [intent] = intents(stripe_api)
    assert intent.id == payment.stripe_intent_id
    assert (intent.status, intent.amount) == ("succeeded", 12_345)
    assert intent.metadata["paydesk_attempt"] == str(attempt.id)
    assert intent.metadata["paydesk_key"] == attempt.idempotency_key
    # A receipt, once.
    assert svc.payments.flush_receipts()
    receipts = [m for m in svc.payments.mailer.outbox_messages() if "Receipt" in m["Subject"]]
    assert len(receipts) == 1 and receipts[0]["To"] == "client@example.com"
    assert "PAY-000001" in receipts[0].get_content()
    assert AuditLog.select().where(AuditLog.action == "payment.succeeded").count() == 1
    # The database holds no card number.
    text = database_text(pay_config)
    assert "pm_" in text  # the scan reads the real rows
    assert card_like_runs(text) == []
    assert "4242424242424242" not in text


def test_card_scan_finds_a_card_number():
    """The scan itself can fail: a Luhn-valid run is found, a near miss is not."""
    assert card_like_runs("x4242424242424242y") == ["4242424242424242"]
    assert card_like_runs("x4242424242424241y 12345678901") == []
    assert card_like_runs("<1795.14301.1139533274498588914@example.com>") == []


def test_decline_leaves_invoice_unchanged(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "declined")
    invoice = shop.invoice(5_000)

    result = svc.payments.pay(shop.client_id, [invoice.id], card.id)

    assert result.status == "failed"
    assert result.message.startswith("Your card was declined")
    assert result.reference is None
    after = svc.invoices.get(invoice.id)
    assert (after.status, after.amount_paid) == ("sent", 0)
    assert Payment.select().count() == 0
    attempt = PaymentAttempt.get()
    assert (attempt.status, attempt.failure_code) == ("failed", "card_declined")
    assert [i.status for i in intents(stripe_api)] == ["requires_payment_method"]

    # The invoice is still payable with another card.
    good = svc.cards.add_test_card(shop.client_id, "success")
    assert svc.payments.pay(shop.client_id, [invoice.id], good.id).status == "succeeded"
    assert svc.invoices.get(invoice.id).status == "paid"


def test_decline_messages_name_the_reason():
    assert (
        decline_message("card_declined", "insufficient_funds")
        == "Your card was declined: insufficient funds."
    )
    assert decline_message("card_declined", None) == "Your card was declined."
    assert decline_message("expired_card", None) == "Your card was declined: the card has expired."


def test_two_invoices_one_charge_for_the_sum(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    first, second = shop.invoice(10_000), shop.invoice(2_550)

    result = svc.payments.pay(shop.client_id, [second.id, first.id], card.id)

    assert result.status == "succeeded"
    assert result.amount == 12_550
    assert result.invoice_numbers == (first.number, second.number)
    [intent] = intents(stripe_api)
    assert (intent.amount, intent.status) == (12_550, "succeeded")
    payment = Payment.get()
    assert payment.amount == 12_550
    allocated = {a.invoice_id: a.amount for a in PaymentAllocation.select()}
    assert allocated == {first.id: 10_000, second.id: 2_550}
    assert sum(allocated.values()) == payment.amount
    assert {svc.invoices.get(i.id).status for i in (first, second)} == {"paid"}


def test_amount_is_the_balance_recomputed_on_the_server(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(10_000)
    Invoice.update(amount_paid=2_500, status="partial").where(Invoice.id == invoice.id).execute()

    result = svc.payments.pay(shop.client_id, [invoice.id], card.id)

    assert result.amount == 7_500
    assert [i.amount for i in intents(stripe_api)] == [7_500]
    assert svc.invoices.get(invoice.id).status == "paid"


def test_refuses_what_is_not_payable(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    paid = shop.invoice(1_000)
    assert svc.payments.pay(shop.client_id, [paid.id], card.id).status == "succeeded"
    void = shop.invoice(1_000)
    svc.invoices.void(void.id)
    draft = shop.invoice(1_000, status="draft")
    theirs = shop.invoice(1_000, client_id=shop.other_client())
    busy = shop.invoice(1_000)
    payment_ledger.open_attempt(shop.client_id, [busy.id], card.id, "kiosk", False, "test", "")

    cases = {
        paid.id: "is already paid",
        void.id: "is void",
        draft.id: "has not been sent",
        theirs.id: "not an invoice of this client",
        busy.id: "already in progress",
    }
    for invoice_id, reason in cases.items():
        with pytest.raises(PaymentError, match=reason):
            svc.payments.pay(shop.client_id, [invoice_id], card.id)
    with pytest.raises(PaymentError, match="not saved"):
        svc.payments.pay(shop.client_id, [busy.id], 999)
    assert len(intents(stripe_api)) == 1  # only the first, real payment reached Stripe


def test_3d_secure_then_another_card_charges_once(shop, stripe_api):
    svc = shop.services
    secure = svc.cards.add_test_card(shop.client_id, "3ds")
    invoice = shop.invoice(4_000)

    result = svc.payments.pay(shop.client_id, [invoice.id], secure.id)

    assert result.status == "requires_action"
    assert "3-D Secure" in result.message
    assert svc.invoices.get(invoice.id).status == "sent"
    assert [i.status for i in intents(stripe_api)] == ["requires_action"]

    # Paying again first cancels the waiting intent, so it can never be charged as well.
    good = svc.cards.add_test_card(shop.client_id, "success")
    assert svc.payments.pay(shop.client_id, [invoice.id], good.id).status == "succeeded"
    statuses = sorted(i.status for i in intents(stripe_api))
    assert statuses == ["canceled", "succeeded"]
    assert Payment.select().count() == 1
    first, second = PaymentAttempt.select().order_by(PaymentAttempt.id)
    assert (first.status, second.status) == ("failed", "succeeded")
    assert "3-D Secure" in first.failure_message and "not completed" in first.failure_message


def test_off_session_payment(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(900)
    result = svc.payments.pay(
        shop.client_id, [invoice.id], card.id, source="autobill", off_session=True
    )
    assert result.status == "succeeded"
    assert PaymentAttempt.get().off_session is True


def test_refund_never_above_captured(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(10_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()

    svc.payments.refund(payment.id, 4_000, actor="owner")
    with pytest.raises(PaymentError, match=r"At most \$60.00"):
        svc.payments.refund(payment.id, 6_001, actor="owner")
    svc.payments.refund(payment.id, 6_000, actor="owner")
    with pytest.raises(PaymentError, match=r"At most \$0.00"):
        svc.payments.refund(payment.id, 1, actor="owner")

    assert Payment.get_by_id(payment.id).amount_refunded == 10_000
    at_stripe = list(
        stripe_api.v1.refunds.list(params={"payment_intent": payment.stripe_intent_id})
    )
    assert sorted(r.amount for r in at_stripe) == [4_000, 6_000]


def test_reconcile_with_nothing_open_changes_nothing(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(1_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    report = svc.payments.reconcile(min_age_seconds=0)
    assert (report.checked, report.succeeded) == (0, 0)
    assert Payment.select().count() == 1
    assert AttemptInvoice.select().count() == 1


def test_reconcile_sends_a_receipt_that_was_never_sent(shop):
    from models import EmailLog

    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(1_500)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    assert svc.payments.flush_receipts()
    assert svc.payments.reconcile(min_age_seconds=0).receipts == 0  # already sent
    EmailLog.delete().execute()  # as if the process died before the receipt went out

    assert svc.payments.reconcile(min_age_seconds=0).receipts == 1
    assert svc.payments.reconcile(min_age_seconds=0).receipts == 0
    subjects = [m["Subject"] for m in svc.payments.mailer.outbox_messages()]
    assert subjects.count("Receipt PAY-000001 from Desktop Masters") == 2


def test_reconcile_cancels_3d_secure_left_for_a_day(shop, stripe_api):
    import datetime as dt

    import time_machine

    svc = shop.services
    secure = svc.cards.add_test_card(shop.client_id, "3ds")
    invoice = shop.invoice(4_000)
    assert svc.payments.pay(shop.client_id, [invoice.id], secure.id).status == "requires_action"

    report = svc.payments.reconcile(min_age_seconds=0)  # the client may still be at it
    assert report.checked == 0 and PaymentAttempt.get().status == "requires_action"

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        report = svc.payments.reconcile(min_age_seconds=0)
    assert (report.checked, report.failed) == (1, 1)
    attempt = PaymentAttempt.get()
    assert attempt.status == "failed" and "not completed" in attempt.failure_message
    assert [i.status for i in intents(stripe_api)] == ["canceled"]
    assert svc.invoices.get(invoice.id).status == "sent"


def test_3d_secure_completed_later_is_recorded_once(shop, stripe_api, sandbox_url):
    """The client completes 3-D Secure elsewhere; the webhook path (sync_intent) records it."""
    import requests

    svc = shop.services
    secure = svc.cards.add_test_card(shop.client_id, "3ds")
    invoice = shop.invoice(4_200)
    result = svc.payments.pay(shop.client_id, [invoice.id], secure.id)
    assert result.status == "requires_action"
    intent_id = PaymentAttempt.get().stripe_intent_id
    intent = stripe_api.v1.payment_intents.retrieve(intent_id)
    done = requests.post(
        f"{sandbox_url}/v1/payment_intents/{intent_id}/_authenticate",
        data={"client_secret": intent.client_secret, "success": "true"},
        headers={"Authorization": "Bearer sk_test_sandbox"},
        timeout=10,
    )
    assert done.status_code == 200 and done.json()["status"] == "succeeded"

    synced = svc.payments.sync_intent(intent_id)
    assert synced is not None and synced.status == "succeeded"
    assert svc.payments.sync_intent(intent_id).status == "succeeded"  # a repeated event
    assert svc.payments.sync_intent("pi_not_ours") is None
    assert Payment.select().count() == 1
    assert svc.invoices.get(invoice.id).status == "paid"


def test_currency_whose_stripe_unit_differs_is_charged_in_full(shop, stripe_api):
    """ISK has no minor unit (CLDR: 0 digits), but Stripe's API still counts it in
    hundredths: 12,000 kr is amount=1200000 at Stripe. Sending paydesk's minor units as
    they are would charge 120 kr and mark the invoice paid."""
    from models import Business, Client

    svc = shop.services
    business = Business.create(name="Reykjavik IT", billing_email="b@example.is", currency="ISK")
    client_id = Client.create(business=business, name="Hekla", email="h@example.is").id
    card = svc.cards.add_test_card(client_id, "success")
    invoice = shop.invoice(12_000, client_id=client_id)
    assert invoice.currency == "ISK"

    result = svc.payments.pay(client_id, [invoice.id], card.id)

    assert result.status == "succeeded", result.message
    [intent] = intents(stripe_api)
    assert (intent.currency, intent.amount) == ("isk", 1_200_000)
    payment = Payment.get()
    assert (payment.amount, payment.currency) == (12_000, "ISK")
    assert svc.invoices.get(invoice.id).amount_paid == 12_000
    svc.payments.refund(payment.id, 2_000, actor="owner")
    [refund] = stripe_api.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert refund.amount == 200_000
    assert Payment.get_by_id(payment.id).amount_refunded == 2_000


def test_stripe_amount_conversion_per_currency():
    from services.stripe_client.client import from_stripe_amount, to_stripe_amount

    cases = {"USD": (1_234, 1_234), "JPY": (500, 500), "ISK": (500, 50_000), "BHD": (1_230, 1_230)}
    for currency, (ours, theirs) in cases.items():
        assert to_stripe_amount(ours, currency) == theirs
        assert from_stripe_amount(theirs, currency) == ours
    with pytest.raises(ValueError):
        to_stripe_amount(1_001, "LYD")  # CLDR: 3 digits, Stripe: 2


def test_reconciler_never_fails_an_attempt_whose_intent_was_just_stored(shop, stripe_api):
    """The reconciler read the attempt before its intent id was stored; the payer stored it
    and is about to confirm. Marking the attempt failed would free the invoice for a second
    payment while the first charge goes through: it must stay in flight."""
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(3_000)
    opened = payment_ledger.open_attempt(
        shop.client_id, [invoice.id], card.id, "kiosk", False, "test", ""
    )
    seen_by_reconciler = PaymentAttempt.get_by_id(opened.id)  # no intent id yet
    intent = stripe_api.v1.payment_intents.create(
        params={"amount": 3_000, "currency": "usd", "payment_method": card.stripe_pm_id}
    )
    assert payment_ledger.set_submitted(opened.id, intent.id)  # the payer, meanwhile

    svc.payments.settler.settle(seen_by_reconciler, cancel_action=False)

    assert PaymentAttempt.get_by_id(opened.id).status != "failed"
    with pytest.raises(PaymentError, match="already in progress"):
        svc.payments.pay(shop.client_id, [invoice.id], card.id)


@pytest.mark.parametrize(
    ("status_then", "total_then", "expected"),
    [
        ("sent", 1_000, "paid"),  # the usual case
        ("void", 1_000, "void"),  # voided while the card was charged: stays void
        ("draft", 1_000, "draft"),
        ("sent", 1_500, "partial"),  # the total grew meanwhile: the charge covers part
    ],
)
def test_recorded_success_sets_statuses_as_status_for_does(shop, status_then, total_then, expected):
    """The success transaction computes statuses in SQL; they must match `status_for`."""
    card = PaymentMethod.create(
        client=shop.client_id, stripe_pm_id="pm_fake", last4="4242", exp_month=1, exp_year=2030
    )
    invoice = shop.invoice(1_000)
    opened = payment_ledger.open_attempt(
        shop.client_id, [invoice.id], card.id, "cli", False, "", ""
    )
    Invoice.update(status=status_then, total=total_then).where(Invoice.id == invoice.id).execute()

    payment, created = payment_ledger.record_success(opened.id, "pi_fake", 1_000, "visa", "4242")

    after = Invoice.get_by_id(invoice.id)
    assert created and payment.amount == 1_000
    assert after.status == expected == status_for(total_then, 1_000, status_then)
    assert after.amount_paid == 1_000
    assert (after.paid_at is not None) == (expected == "paid")
    allocations = list(PaymentAllocation.select().where(PaymentAllocation.payment == payment.id))
    assert [(a.invoice_id, a.amount) for a in allocations] == [(invoice.id, 1_000)]
    again, created_again = payment_ledger.record_success(opened.id, "pi_fake", 1_000)
    assert (again.id, created_again) == (payment.id, False)


def test_idempotency_keys_are_random_letters_never_digits():
    """120 random bits as 30 lowercase letters: unique, and nothing in them can ever read
    as a card number (the database scan for Luhn-valid digit runs stays clean)."""
    keys = {payment_ledger.new_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(len(key) == 30 and key.isalpha() and key.islower() for key in keys)
    assert set("".join(keys)) == set("abcdefghijklmnop")
