"""Saved cards against a real localstripe: only what identifies a card is stored."""

from __future__ import annotations

import pytest

from models import Client, PaymentMethod
from services.config import Config
from services.payments.cards import CardError, CardService, card_label
from tests.fixtures.payments import card_like_runs, database_text


def test_add_list_default_first(shop, stripe_api):
    cards = shop.services.cards
    first = cards.add_test_card(shop.client_id, "success")
    second = cards.add_test_card(shop.client_id, "declined")

    listed = cards.list(shop.client_id)
    assert [c.id for c in listed] == [first.id, second.id]
    assert listed[0].is_default and not listed[1].is_default
    assert (listed[0].label, listed[1].label) == ("Visa •••• 4242", "Visa •••• 0341")
    customer = Client.get_by_id(shop.client_id).stripe_customer_id
    assert customer and customer.startswith("cus_")
    at_stripe = stripe_api.v1.payment_methods.list(params={"customer": customer, "type": "card"})
    assert {pm.id for pm in at_stripe.data} == {first.stripe_pm_id, second.stripe_pm_id}

    cards.set_default(shop.client_id, second.id)
    assert [c.id for c in cards.list(shop.client_id) if c.is_default] == [second.id]
    assert cards.list(shop.client_id)[0].id == second.id
    remote = stripe_api.v1.customers.retrieve(customer)
    assert remote.invoice_settings.default_payment_method == second.stripe_pm_id


def test_only_safe_card_fields_are_stored(shop, pay_config):
    shop.services.cards.add_test_card(shop.client_id, "success")
    row = PaymentMethod.get()
    assert (row.brand, row.last4, row.exp_month) == ("visa", "4242", 12)
    assert row.fingerprint and row.stripe_pm_id.startswith("pm_")
    assert card_like_runs(database_text(pay_config)) == []


def test_same_card_twice_is_stored_once(shop, stripe_api):
    cards = shop.services.cards
    first = cards.add_test_card(shop.client_id, "success")
    again = cards.add_test_card(shop.client_id, "success")
    assert again.id == first.id
    assert PaymentMethod.select().count() == 1
    # The duplicate was detached at Stripe, so sync keeps one card too.
    assert [c.id for c in cards.sync(shop.client_id)] == [first.id]


def test_remove_detaches_and_promotes_a_default(shop, stripe_api):
    cards = shop.services.cards
    first = cards.add_test_card(shop.client_id, "success")
    second = cards.add_test_card(shop.client_id, "declined")
    cards.remove(shop.client_id, first.id)
    assert [(c.id, c.is_default) for c in cards.list(shop.client_id)] == [(second.id, True)]
    assert stripe_api.v1.payment_methods.retrieve(first.stripe_pm_id).customer is None
    with pytest.raises(CardError):
        cards.remove(shop.other_client(), second.id)


def test_sync_picks_up_cards_attached_at_stripe(shop, stripe_api):
    cards = shop.services.cards
    customer = cards.ensure_customer(shop.client_id)
    assert cards.ensure_customer(shop.client_id) == customer
    pm = stripe_api.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 3, "exp_year": 2031, "cvc": "123"},
        }
    )
    stripe_api.v1.payment_methods.attach(pm.id, params={"customer": customer})
    [card] = cards.sync(shop.client_id)
    assert (card.stripe_pm_id, card.exp_year, card.is_default) == (pm.id, 2031, True)
    stripe_api.v1.payment_methods.detach(pm.id)
    assert cards.sync(shop.client_id) == []


def test_card_declined_at_attach_says_so(shop):
    with pytest.raises(CardError, match="Your card was declined"):
        shop.services.cards.add_test_card(shop.client_id, "insufficient_funds")
    assert PaymentMethod.select().count() == 0


def test_test_cards_refused_with_a_live_key(shop, pay_config):
    live = Config(
        home=pay_config.home,
        database_url=pay_config.database_url,
        stripe_api_key="sk_live_not_a_real_key",
    )
    service = CardService(shop.services.cards.stripe, live)
    with pytest.raises(CardError, match="only be added in the sandbox"):
        service.add_test_card(shop.client_id, "success")
    assert PaymentMethod.select().count() == 0
    assert Client.get_by_id(shop.client_id).stripe_customer_id is None


def test_labels():
    assert card_label("amex", "0005") == "American Express •••• 0005"
    assert card_label("", "1234") == "Card •••• 1234"
