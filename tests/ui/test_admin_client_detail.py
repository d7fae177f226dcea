"""Client detail: contacts, invoices, payments, recurring with auto-bill changes, cards, audit."""

from __future__ import annotations

from models import Client
from screens.admin.client_detail import ClientDetailScreen
from tests.fixtures.admin import admin_app, cut_columns
from tests.fixtures.kiosk import drive, screen_text, settle


def open_acme(*keys: str):
    async def script(pilot) -> None:
        await settle(pilot)
        acme = Client.get(Client.name == "Acme Dental").id
        pilot.app.push_screen(ClientDetailScreen(pilot.app.ctx, acme))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return script


def turn_off_support_plan(services) -> None:
    acme = Client.get(Client.name == "Acme Dental").id
    plan = next(r for r in services.recurring.list_for_client(acme) if r.autobill_enabled)
    services.recurring.set_client_autobill(acme, plan.id, False, "contact:2")


class TestClientDetailScreen:
    def test_snapshot(self, services, snap_compare):
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=open_acme("2"))

    def test_snapshot_80x24(self, services, snap_compare):
        turn_off_support_plan(services)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_acme("4"))

    def test_payments_snapshot(self, services, snap_compare):
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=open_acme("3"))

    def test_payments_snapshot_80x24(self, services, snap_compare):
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_acme("3"))

    def test_the_payments_card_column_fits_at_80x24(self, services):
        async def script(pilot):
            await open_acme("3")(pilot)
            return cut_columns(pilot.app, "#client-payments"), screen_text(pilot.app)

        cut, text = drive(admin_app(services), script, size=(80, 24))
        assert cut == []
        assert "Card" in text and "Visa •••• 4242" in text and "$300.00" in text
        assert "Mar " in text  # the day each was paid, in a narrower format

    def test_every_tab(self, services):
        turn_off_support_plan(services)
        tabs = {}

        async def script(pilot):
            await open_acme()(pilot)
            for key in "123456":
                await pilot.press(key)
                await settle(pilot)
                tabs[key] = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            return pilot.app.screen

        back = drive(admin_app(services), script, size=(100, 30))
        assert "Owes $720.74 · 1 overdue · 5 invoices" in tabs["1"]
        assert "Dana Client" in tabs["1"] and "can sign in" in tabs["1"]
        assert "1–5 of 5 invoices" in tabs["2"] and "Overdue" in tabs["2"]
        assert "1–2 of 2 payments" in tabs["3"] and "$300.00" in tabs["3"]
        assert "auto-bill off (mode optout)" in tabs["4"]
        assert "turned off by contact:2 on Mar 16, 2026, 11:00 AM EDT" in tabs["4"]
        assert "Visa •••• 4242  exp " in tabs["5"]
        assert "recurring.autobill_disabled" in tabs["6"] and "of " in tabs["6"]
        assert not isinstance(back, ClientDetailScreen)
