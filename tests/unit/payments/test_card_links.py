"""Card links against a real localstripe: one client, one SetupIntent, 30 minutes, one use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from models import AuditLog, CardLink, Client, PaymentMethod, utcnow
from services.payments.card_links import (
    CardLinkError,
    LinkGone,
    LinkNotFound,
    LinkState,
    token_hash,
)
from tests.fixtures.card_page import browser_confirm, token_of
from tests.fixtures.payments import card_like_runs, database_text


def _link(shop):
    link = shop.services.card_links.create(shop.client_id)
    return link, token_of(link.url)


def test_a_link_is_a_hashed_128_bit_token_for_30_minutes(shop, pay_config):
    link, token = _link(shop)
    assert link.url == f"{pay_config.public_url}/card/{token}"
    assert len(token) >= 22  # 16 random bytes, URL-safe base64
    row = CardLink.get_by_id(link.id)
    assert row.token_hash == token_hash(token) and row.client_id == shop.client_id
    assert row.setup_intent_id.startswith("seti_")
    assert timedelta(minutes=29) < row.expires_at - utcnow() <= timedelta(minutes=30)
    assert token not in database_text(pay_config)
    assert all(token not in (a.subject + a.detail) for a in AuditLog.select())


def test_the_confirmed_card_is_attached_and_saved_once(shop, sandbox_url, stripe_api):
    links = shop.services.card_links
    link, token = _link(shop)
    page = links.page(token)
    again = links.page(token)  # a GET (a mail scanner) changes nothing
    assert page.state is again.state is LinkState.OPEN
    assert page.business_name == "Desktop Masters" and page.client_name == "Acme Dental"
    assert links.status(shop.client_id, link.id).state is LinkState.OPEN

    assert browser_confirm(sandbox_url, page.client_secret)["status"] == "succeeded"
    card = links.finish(token)

    assert card.label == "Visa •••• 4242" and card.is_default
    customer = Client.get_by_id(shop.client_id).stripe_customer_id
    assert stripe_api.v1.payment_methods.retrieve(card.stripe_pm_id).customer == customer
    status = links.status(shop.client_id, link.id)
    assert status.state is LinkState.USED and status.card == card
    assert links.page(token).state is LinkState.USED
    with pytest.raises(LinkGone, match="already used"):
        links.finish(token)
    assert PaymentMethod.select().count() == 1
    actions = [a.action for a in AuditLog.select().order_by(AuditLog.id)]
    assert actions[-2:] == ["card.added", "card_link.used"]
    assert all(token not in (a.subject + a.detail) for a in AuditLog.select())


def test_finish_before_the_browser_confirmed_does_not_use_the_link(shop):
    link, token = _link(shop)
    with pytest.raises(CardLinkError, match="not confirmed"):
        shop.services.card_links.finish(token)
    assert CardLink.get_by_id(link.id).used_at is None


def test_a_card_already_saved_is_not_added_twice(shop, sandbox_url):
    saved = shop.services.cards.add_test_card(shop.client_id, "success")
    _, token = _link(shop)
    browser_confirm(sandbox_url, shop.services.card_links.page(token).client_secret)
    assert shop.services.card_links.finish(token).id == saved.id
    assert PaymentMethod.select().count() == 1


def test_an_expired_link_says_so(shop, sandbox_url):
    link, token = _link(shop)
    secret = shop.services.card_links.page(token).client_secret
    browser_confirm(sandbox_url, secret)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert shop.services.card_links.page(token).state is LinkState.EXPIRED
        with pytest.raises(LinkGone, match="expired"):
            shop.services.card_links.finish(token)
        assert shop.services.card_links.status(shop.client_id, link.id).state == "expired"
    assert PaymentMethod.select().count() == 0


def test_another_client_cannot_see_or_use_the_link(shop):
    link, _ = _link(shop)
    with pytest.raises(LinkNotFound):
        shop.services.card_links.status(shop.other_client(), link.id)
    with pytest.raises(LinkNotFound):
        shop.services.card_links.page("x" * 43)


def test_a_link_whose_intent_belongs_to_another_customer_saves_nothing(shop, sandbox_url):
    link, token = _link(shop)
    other = shop.other_client()
    theirs = shop.services.card_links.create(other)
    # Point this link at the other client's SetupIntent (a tampered row).
    their_seti = CardLink.get_by_id(theirs.id).setup_intent_id
    CardLink.update(setup_intent_id="seti_x").where(CardLink.id == theirs.id).execute()
    CardLink.update(setup_intent_id=their_seti).where(CardLink.id == link.id).execute()
    browser_confirm(sandbox_url, shop.services.card_links.page(token).client_secret)
    with pytest.raises(CardLinkError, match="does not belong"):
        shop.services.card_links.finish(token)
    assert PaymentMethod.select().count() == 0


def test_polling_picks_up_a_card_whose_page_never_reported_back(shop, sandbox_url):
    link, token = _link(shop)
    browser_confirm(sandbox_url, shop.services.card_links.page(token).client_secret)
    assert shop.services.card_links.status(shop.client_id, link.id).state is LinkState.OPEN
    status = shop.services.card_links.status(shop.client_id, link.id, check_stripe=True)
    assert status.state is LinkState.USED and status.card and status.card.last4 == "4242"


def test_a_declined_card_leaves_the_link_open_with_a_fresh_intent(shop, sandbox_url, pay_config):
    link, token = _link(shop)
    first = shop.services.card_links.page(token).client_secret
    assert browser_confirm(sandbox_url, first, "4000000000000002")["error"]
    # The page then asks again (POST /card/TOKEN/renew): the sandbox canceled the declined
    # SetupIntent, so a fresh one replaces it; a plain GET keeps the secret it had.
    assert shop.services.card_links.page(token).client_secret == first
    second = shop.services.card_links.renew(token)
    assert second != first
    assert browser_confirm(sandbox_url, second)["status"] == "succeeded"
    assert shop.services.card_links.finish(token).last4 == "4242"
    assert card_like_runs(database_text(pay_config)) == []
