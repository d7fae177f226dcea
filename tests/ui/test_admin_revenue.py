"""Revenue (F7): twelve months of payments net of refunds as bars with their figures, and
per client, the most first; Enter opens the client; snapshots at 100x30 and 80x24."""

from __future__ import annotations

from screens.admin.client_detail import ClientDetailScreen
from screens.admin.revenue import RevenueScreen
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import drive, screen_text, settle
from tests.fixtures.revenue import add_history


class TestRevenueScreen:
    def test_snapshot(self, services, snap_compare):
        add_history()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f7"))

    def test_snapshot_80x24(self, services, snap_compare):
        add_history()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f7"))

    def test_months_clients_and_open(self, services):
        add_history()

        async def script(pilot):
            await pilot.press("f7")
            await settle(pilot)
            shown = screen_text(pilot.app), pilot.app.screen
            await pilot.press("down", "enter")
            await settle(pilot)
            return shown, pilot.app.screen

        (text, screen), opened = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, RevenueScreen)
        assert "Received per month, net of refunds · Apr 2025 – Mar 2026" in text
        assert "received $7,348.95" in text and "refunded $3,200.00" in text  # not the failed one
        lines = {line.strip()[:8]: line for line in text.splitlines()}
        assert " $1,200.00" in lines["Apr 2025"][:40]  # the 03:59 UTC one is March's
        assert " $600.00" in lines["Sep 2025"][:40]  # $800 less $200 refunded
        assert " -$2,400.00" in lines["Jan 2026"][:40]  # $600 in, $3,000 refunded
        assert "1–2 of 2 clients" in text
        assert isinstance(opened, ClientDetailScreen)
