"""Add a card → the card link and its QR code → the card saved on the page shows up by itself."""

from __future__ import annotations

import dataclasses

import pytest

from models import CardLink
from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.card_link import CardLinkView, qr_lines
from screens.kiosk.cards import CardsScreen
from screens.kiosk.confirm import ConfirmDialog
from services.payments.card_links import CardLinkService
from tests.fixtures.card_page import (
    FIXED_TOKEN,
    browser_confirm,
    fix_card_token,
    token_of,
    wait_for_text,
)
from tests.fixtures.kiosk import drive, screen_text, settle, signed_in_at
from tui.kiosk_app import make_kiosk_app

open_add_card = signed_in_at("cards", "a")


def _link_url(app) -> str:
    view = app.screen.query_one(CardLinkView)
    assert view.link is not None
    return view.link.url


def test_the_qr_code_is_a_square_of_half_blocks():
    lines = qr_lines("http://127.0.0.1:8080/card/" + FIXED_TOKEN)
    assert len({len(line) for line in lines}) == 1  # every line as wide
    assert len(lines[0]) <= 33 and len(lines) <= 17  # fits beside the text in 80×24
    assert set("".join(lines)) <= set("█▀▄ ")


class TestCardLinkView:
    def test_snapshot_80x24(self, services, snap_compare, monkeypatch):
        fix_card_token(monkeypatch)

        async def run_before(pilot):
            await open_add_card(pilot)
            await wait_for_text(pilot, "Waiting for your card")

        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_snapshot_card_saved(self, services, snap_compare, monkeypatch, sandbox_url):
        fix_card_token(monkeypatch)

        async def run_before(pilot):
            await open_add_card(pilot)
            await wait_for_text(pilot, "Waiting for your card")
            _save_on_the_page(services, _link_url(pilot.app), sandbox_url)
            await wait_for_text(pilot, "Card saved")

        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_the_card_saved_on_the_page_shows_up_by_itself(self, services, sandbox_url):
        async def script(pilot):
            await open_add_card(pilot)
            await wait_for_text(pilot, "Waiting for your card")
            url = _link_url(pilot.app)
            shown = screen_text(pilot.app)
            _save_on_the_page(services, url, sandbox_url)
            saved = await wait_for_text(pilot, "Card saved: Visa •••• 4242")
            dialog_inputs = len(pilot.app.screen.query("Input"))
            await pilot.press("enter")
            await settle(pilot)
            offer = pilot.app.screen  # the Cards screen offers to pay what is owed with it
            await pilot.press("escape")  # not now
            await settle(pilot)
            screen = pilot.app.screen
            labels = [c.label for c in screen.data.cards] if isinstance(screen, CardsScreen) else []
            return url, shown, saved, dialog_inputs, offer, screen, labels

        url, shown, saved, inputs, offer, screen, labels = drive(
            make_kiosk_app(services), script, (80, 24)
        )
        assert isinstance(offer, ConfirmDialog)
        assert url in shown  # the whole link on one line
        assert "You owe $720.74 on 3 invoices" in saved
        assert "Or, in test mode" not in saved  # the saved card by itself
        assert inputs == 0
        assert isinstance(screen, CardsScreen)
        assert "Visa •••• 4242" in labels

    def test_the_dashboard_offers_to_pay_with_the_new_card(self, services, sandbox_url):
        async def script(pilot):
            await signed_in_at("dashboard")(pilot)
            await pilot.click("#add-card")
            await wait_for_text(pilot, "Waiting for your card")
            _save_on_the_page(services, _link_url(pilot.app), sandbox_url)
            await wait_for_text(pilot, "Card saved: Visa •••• 4242")
            await pilot.press("enter")
            await settle(pilot)
            screen = pilot.app.screen
            yes = str(screen.query_one("#yes").label) if isinstance(screen, ConfirmDialog) else ""
            return screen, screen_text(pilot.app), yes

        screen, text, yes = drive(make_kiosk_app(services), script, (100, 30))
        assert isinstance(screen, ConfirmDialog)
        assert "Visa •••• 4242" in text and yes.startswith("Pay ") and yes.endswith(" now")

    def test_a_card_confirmed_but_never_reported_is_picked_up(self, services, sandbox_url):
        async def script(pilot):
            await open_add_card(pilot)
            await wait_for_text(pilot, "Waiting for your card")
            token = token_of(_link_url(pilot.app))
            secret = services.card_links.page(token).client_secret
            browser_confirm(sandbox_url, secret)  # the tab closed before its POST
            return await wait_for_text(pilot, "Card saved: Visa •••• 4242", seconds=20)

        assert "Card saved" in drive(make_kiosk_app(services), script, (80, 24))

    def test_escape_while_waiting_closes_and_saves_nothing(self, services):
        async def script(pilot):
            await open_add_card(pilot)
            await wait_for_text(pilot, "Waiting for your card")
            await pilot.press("escape")
            await settle(pilot)
            return pilot.app.screen

        assert isinstance(drive(make_kiosk_app(services), script, (80, 24)), CardsScreen)
        assert CardLink.select().where(CardLink.used_at.is_null(False)).count() == 0


@pytest.fixture
def live_services(services):
    """The demo's services as if a live key were set but no publishable key."""
    config = dataclasses.replace(services.config, stripe_api_key="sk_live_x")
    links = CardLinkService(services.cards.stripe, config, services.cards)
    return dataclasses.replace(services, config=config, card_links=links)


def test_live_keys_without_a_publishable_key_say_what_is_missing(live_services):
    async def script(pilot):
        await open_add_card(pilot)
        await wait_for_text(pilot, "STRIPE_PUBLISHABLE_KEY")
        dialog = pilot.app.screen
        assert isinstance(dialog, AddCardDialog)
        return len(dialog.query("Input")), len(dialog.query("#test-cards"))

    assert drive(make_kiosk_app(live_services), script, (100, 30)) == (0, 0)


def _save_on_the_page(services, url: str, sandbox_url: str) -> None:
    """What the browser and the page's POST do: confirm at Stripe, then finish."""
    token = token_of(url)
    browser_confirm(sandbox_url, services.card_links.page(token).client_secret)
    services.card_links.finish(token)
