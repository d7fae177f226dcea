"""Cards: list, add a test card, set default, remove with the auto-billing consequence."""

from __future__ import annotations

import dataclasses

from screens.kiosk.add_card import TRY_ANOTHER, AddCardDialog
from screens.kiosk.cards import CardsScreen
from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.pay_dialog import PayDialog
from tests.fixtures.card_page import fix_card_token, wait_for_text
from tests.fixtures.kiosk import drive, screen_text, settle, signed_in_at
from tui.kiosk_app import make_kiosk_app

open_cards = signed_in_at("cards")


class TestCardsScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=open_cards
        )

    def test_snapshot_add_card_sandbox(self, services, snap_compare, monkeypatch):
        fix_card_token(monkeypatch)

        async def run_before(pilot):
            await signed_in_at("cards", "a")(pilot)
            await wait_for_text(pilot, "Waiting for your card")

        app = make_kiosk_app(services)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_snapshot_add_card_live_keys(self, services, snap_compare, monkeypatch):
        fix_card_token(monkeypatch)
        live = dataclasses.replace(
            services, config=dataclasses.replace(services.config, stripe_api_key="sk_test_x")
        )

        async def run_before(pilot):
            await signed_in_at("cards", "a")(pilot)
            await wait_for_text(pilot, "Waiting for your card")

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
            assert isinstance(app.screen, ConfirmDialog)  # pay what is owed with it? no
            await pilot.click("#no")
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

    def test_live_keys_show_the_card_link_and_no_card_fields(self, services):
        live = dataclasses.replace(
            services, config=dataclasses.replace(services.config, stripe_api_key="sk_test_x")
        )

        async def script(pilot):
            app = pilot.app
            await open_cards(pilot)
            await pilot.press("a")
            await settle(pilot)
            shown = await wait_for_text(pilot, "Waiting for your card")
            dialog = app.screen
            return shown, len(dialog.query("Input")), len(dialog.query("#test-cards"))

        shown, inputs, test_cards = drive(make_kiosk_app(live), script, size=(100, 30))
        assert "/card/" in shown and "never sees your card number" in shown
        assert inputs == 0 and test_cards == 0

    def test_a_declined_card_is_said_once_with_what_to_do_and_another_card_can_be_saved(
        self, services, caplog
    ):
        async def script(pilot):
            app = pilot.app
            await open_cards(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("down", "down", "enter")  # …9995: declined when it is saved
            await settle(pilot)
            dialog = app.screen
            status = str(dialog.query_one("#add-status").render())
            notes = [n.message for n in app._notifications]
            focused = app.focused.id if app.focused else None
            await pilot.press("up", "up", "enter")  # then another card: …4242
            await settle(pilot)
            return dialog, status, notes, focused, app.screen

        dialog, status, notes, focused, after = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert isinstance(dialog, AddCardDialog)
        assert status == f"Card not saved. Your card was declined. {TRY_ANOTHER}"
        assert notes == []  # nothing else contradicts it ("something went wrong on our side")
        assert focused == "test-cards"
        assert isinstance(after, ConfirmDialog)  # saved; now the offer to pay with it
        assert "Traceback" not in caplog.text  # a decline is no crash

    def test_saving_a_card_here_offers_to_pay_what_is_owed_with_it(self, services):
        async def script(pilot):
            app = pilot.app
            await open_cards(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("enter")  # Visa 4242
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog), type(app.screen)
            offer = str(app.screen.query_one(".dialog-body").render())
            await pilot.click("#yes")
            await settle(pilot)
            assert isinstance(app.screen, PayDialog)
            dialog = app.screen
            await pilot.click("#pay")
            await settle(pilot)
            title = str(dialog.query_one("#pay-title").render())
            await pilot.press("escape")
            await settle(pilot)
            return offer, dialog, title, app.screen, app.ctx.client_id

        offer, dialog, title, after, client_id = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert "Saving a card does not pay an invoice" in offer
        assert "You owe $720.74 on 3 invoices" in offer
        assert len(dialog.invoices) == 3 and dialog.card.last4 == "4242"
        assert "Payment received" in title
        assert isinstance(after, CardsScreen)
        assert services.invoices.owed(client_id).total == 0
