"""Dashboard: what is owed, next charge, cards; the 'saving a card does not pay' pitfall."""

from __future__ import annotations

from models import Payment
from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.pay_dialog import PayDialog
from tests.fixtures.kiosk import drive, screen_text, settle, sign_in
from tui.kiosk_app import make_kiosk_app


class TestDashboardScreen:
    def test_snapshot(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=sign_in)

    def test_snapshot_80x24(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=sign_in)

    def test_shows_what_is_owed_next_charge_and_cards(self, services):
        async def script(pilot):
            await sign_in(pilot)
            assert isinstance(pilot.app.screen, DashboardScreen)
            return screen_text(pilot.app)

        text = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "$720.74" in text
        assert "3 invoices to pay, 1 overdue" in text
        assert "Oldest due Feb 28, 2026" in text
        assert "Next automatic charge" in text and "$250.00" in text
        assert "Visa •••• 4242" in text and "default" in text
        assert "Recurring Invoices" in text and "Invoices" in text

    def test_adding_a_card_pays_nothing_and_offers_to_pay(self, services):
        payments_before = Payment.select().count()

        async def script(pilot):
            app = pilot.app
            await sign_in(pilot)
            await pilot.click("#add-card")
            await settle(pilot)
            await pilot.press("enter")  # the first test card: Visa 4242, pays
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            offer = str(app.screen.query_one(".dialog-body").render())
            # Nothing was paid by saving the card.
            owed_after_card = services.invoices.owed(app.ctx.client_id)
            payments_after_card = Payment.select().count()
            await pilot.click("#yes")
            await settle(pilot)
            assert isinstance(app.screen, PayDialog)
            await pilot.click("#pay")
            await settle(pilot)
            receipt = str(app.screen.query_one("#pay-title").render())
            return offer, owed_after_card, payments_after_card, receipt, app.ctx.client_id

        offer, owed, payments_after_card, receipt, client_id = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert "Saving a card does not pay an invoice" in offer
        assert "You owe $720.74 on 3 invoices" in offer
        assert owed.total == 72074 and owed.count == 3
        assert payments_after_card == payments_before
        assert "Payment received" in receipt
        assert services.invoices.owed(client_id).total == 0
        assert Payment.select().count() == payments_before + 1
        assert Payment.select().order_by(Payment.id.desc()).get().amount == 72074

    def test_declining_the_offer_leaves_everything_owed(self, services):
        async def script(pilot):
            app = pilot.app
            await sign_in(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.click("#no")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            return app.ctx.client_id

        client_id = drive(make_kiosk_app(services), script, size=(100, 30))
        assert services.invoices.owed(client_id).count == 3
