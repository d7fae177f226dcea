"""Cards: list, add a test card, set default, remove with the auto-billing consequence."""

from __future__ import annotations

import dataclasses

from screens.kiosk.add_card import LIVE_PLACEHOLDER, AddCardDialog
from screens.kiosk.cards import CardsScreen
from screens.kiosk.confirm import ConfirmDialog
from tests.fixtures.kiosk import drive, screen_text, settle, signed_in_at
from tui.kiosk_app import make_kiosk_app

open_cards = signed_in_at("cards")


class TestCardsScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=open_cards
        )

    def test_snapshot_add_card_sandbox(self, services, snap_compare):
        run_before = signed_in_at("cards", "a")
        app = make_kiosk_app(services)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_snapshot_add_card_live_keys(self, services, snap_compare):
        live = dataclasses.replace(
            services, config=dataclasses.replace(services.config, stripe_api_key="sk_test_x")
        )

        run_before = signed_in_at("cards", "a")
        app = make_kiosk_app(live)
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_add_set_default_and_remove(self, services):
        async def script(pilot):
            app = pilot.app
            await open_cards(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, AddCardDialog)
            await pilot.press("down", "enter")  # the card declined at charge time (…0341)
            await settle(pilot)
            assert isinstance(app.screen, CardsScreen)
            labels = [c.label for c in app.screen.data.cards]
            new = next(c for c in app.screen.data.cards if c.last4 == "0341")
            await pilot.click(f"#default-{new.id}")
            await settle(pilot)
            default = next(c for c in app.screen.data.cards if c.is_default)
            await pilot.click(f"#remove-{new.id}")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            consequence = str(app.screen.query_one(".dialog-body").render())
            await pilot.click("#yes")
            await settle(pilot)
            left = [c.label for c in app.screen.data.cards]
            return labels, default.last4, consequence, left, screen_text(app)

        labels, default, consequence, left, text = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert labels == ["Visa •••• 4242", "Visa •••• 0341"]
        assert default == "0341"
        assert "This is your default card" in consequence
        assert "Visa •••• 4242 instead" in consequence
        assert left == ["Visa •••• 4242"]
        assert "Default" in text

    def test_live_keys_show_the_hosted_card_placeholder_and_no_card_fields(self, services):
        live = dataclasses.replace(
            services, config=dataclasses.replace(services.config, stripe_api_key="sk_test_x")
        )

        async def script(pilot):
            app = pilot.app
            await open_cards(pilot)
            await pilot.press("a")
            await settle(pilot)
            dialog = app.screen
            return (
                str(dialog.query_one("#live-placeholder").render()),
                len(dialog.query("Input")),
                len(dialog.query("#test-cards")),
            )

        placeholder, inputs, test_cards = drive(make_kiosk_app(live), script, size=(100, 30))
        assert placeholder == LIVE_PLACEHOLDER
        assert inputs == 0 and test_cards == 0
