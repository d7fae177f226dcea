"""Stripe webhooks for saved cards and dashboard refunds, with events signed as Stripe signs
them (the sandbox sends none of these)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models import Contact, Payment, PaymentMethod, RecurringInvoice, Refund
from services.config import Config, StripeSettings
from tests.fixtures.webhooks import NEW_SECRET, deliver, event_body


@pytest.fixture
def pay_config(home: Path, db_url: str, sandbox_url: str) -> Config:
    return Config(
        home=home,
        database_url=db_url,
        stripe_webhook_secret=NEW_SECRET,
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )


def confirmed_setup_intent(shop, stripe_api, number: str = "4242424242424242") -> str:
    """What the card page leaves behind: a SetupIntent confirmed in the browser, its card
    not attached (the sandbox does not attach on confirm)."""
    customer = shop.services.cards.ensure_customer(shop.client_id)
    seti = stripe_api.v1.setup_intents.create(params={"customer": customer})
    pm = stripe_api.v1.payment_methods.create(
        params={"type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}}
    )  # fmt: skip
    stripe_api.v1.setup_intents.confirm(seti.id, params={"payment_method": pm.id})
    return seti.id


def test_setup_intent_succeeded_saves_the_card_once(shop, stripe_api, web_server) -> None:
    seti = confirmed_setup_intent(shop, stripe_api)
    for _ in range(2):  # two events about it (e.g. the page's own confirm, then Stripe's)
        reply = deliver(web_server, event_body("setup_intent.succeeded", {"id": seti}))
        assert reply.status == 200
    card = PaymentMethod.get()
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2031)
    assert card.fingerprint and card.is_default
    attached = stripe_api.v1.payment_methods.retrieve(card.stripe_pm_id)
    assert attached.customer == shop.services.cards.ensure_customer(shop.client_id)

    again = confirmed_setup_intent(shop, stripe_api)  # the same card number again
    assert deliver(web_server, event_body("setup_intent.succeeded", {"id": again})).ok
    assert PaymentMethod.select().count() == 1  # same fingerprint: not added twice


def test_payment_method_updated_refreshes_the_saved_card(shop, stripe_api, web_server) -> None:
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    PaymentMethod.update(exp_year=2020, last4="0000").execute()  # what paydesk held before
    reply = deliver(web_server, event_body("payment_method.automatically_updated",
                                           {"id": card.stripe_pm_id}))  # fmt: skip
    assert reply.status == 200
    row = PaymentMethod.get()
    assert (row.last4, row.exp_year) == (card.last4, card.exp_year)


def autobilled(shop) -> None:
    RecurringInvoice.create(
        business=shop.business_id,
        client=shop.client_id,
        description="Support plan",
        anchor_date=date(2026, 1, 1),
        next_date=date(2026, 2, 1),
        autobill_mode="always",
    )
    Contact.create(business=shop.business_id, email="owner@example.com", role="admin")


def test_detached_auto_billed_card_is_removed_and_the_owner_told(
    shop, stripe_api, web_server
) -> None:
    autobilled(shop)
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    stripe_api.v1.payment_methods.detach(card.stripe_pm_id)  # the client did it at the bank
    reply = deliver(web_server, event_body("payment_method.detached", {"id": card.stripe_pm_id}))
    assert reply.status == 200
    assert not PaymentMethod.select().exists()
    mails = shop.services.mailer.outbox_messages()
    to_owner = [m for m in mails if m["To"] == "owner@example.com"]
    assert len(to_owner) == 1 and "removed" in str(to_owner[0]["Subject"])
    assert "Visa •••• 4242" in to_owner[0].get_body(("plain",)).get_content()


def test_a_stale_detached_event_keeps_a_card_attached_again(shop, stripe_api, web_server):
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    reply = deliver(web_server, event_body("payment_method.detached", {"id": card.stripe_pm_id}))
    assert reply.status == 200
    assert PaymentMethod.select().count() == 1  # Stripe says it is attached: nothing changes
    assert not shop.services.mailer.outbox_messages()


def test_a_refund_made_in_stripes_dashboard_shows_up_once(shop, stripe_api, web_server) -> None:
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(10_000)
    assert shop.services.payments.pay(shop.client_id, [invoice.id], card.id).ok
    payment = Payment.get()
    stripe_api.v1.refunds.create(
        params={"payment_intent": payment.stripe_intent_id, "amount": 2_500}
    )
    charge = stripe_api.v1.payment_intents.retrieve(payment.stripe_intent_id).latest_charge
    charge_id = charge if isinstance(charge, str) else charge.id
    for _ in range(2):
        reply = deliver(web_server, event_body("charge.refunded", {"id": charge_id}))
        assert reply.status == 200
    refund = Refund.get()
    assert (refund.amount, refund.status) == (2_500, "succeeded")
    assert Payment.get().amount_refunded == 2_500
    assert shop.services.invoices.get(invoice.id).status == "partial"


def test_paydesks_own_refund_is_not_recorded_twice(shop, stripe_api, web_server) -> None:
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(10_000)
    assert shop.services.payments.pay(shop.client_id, [invoice.id], card.id).ok
    payment = Payment.get()
    shop.services.payments.refund(payment.id, 1_000, actor="owner")
    charge = stripe_api.v1.payment_intents.retrieve(payment.stripe_intent_id).latest_charge
    charge_id = charge if isinstance(charge, str) else charge.id
    assert deliver(web_server, event_body("charge.refunded", {"id": charge_id})).ok
    assert Refund.select().count() == 1 and Payment.get().amount_refunded == 1_000
