"""Clients: paged in SQL with what it shows, search, filter, sort; stored text stays literal."""

from __future__ import annotations

from models import Business, Client
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.clients import ClientsScreen
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle
from tests.fixtures.volume import add_volume

EVIL = "Evil [/b] Ltd"


def with_volume(clients: int = 120) -> None:
    business = Business.get().id
    add_volume(business, clients, 3, TODAY)
    Client.create(business=business, name=EVIL, email="evil@example.com")
    Client.create(business=business, name="[@click=app.quit]", email="click@example.com")


class TestClientsScreen:
    def test_snapshot(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f2"))

    def test_snapshot_80x24(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f2"))

    def test_pages_search_filter_sort_and_open(self, services):
        with_volume()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ClientsScreen)
            seen = [screen_text(pilot.app)]
            await pilot.press("n")
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("slash", *"evil")
            await pilot.pause(0.5)  # the search waits for typing to stop
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("enter")  # leaves the search for the list
            await pilot.press("enter")  # opens the one client found
            await settle(pilot)
            opened = pilot.app.screen
            seen.append(screen_text(pilot.app))
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("ctrl+a", "backspace")
            return seen, opened

        (first, second, searched, detail), opened = drive(
            admin_app(services), script, size=(100, 30)
        )
        assert "1–50 of 124 clients, as of 11:00 AM" in first  # 15:00 UTC in New York
        assert "Acme Dental" in first
        assert "51–100 of 124 clients" in second
        assert "1–1 of 1 clients" in searched and EVIL in searched
        assert isinstance(opened, ClientDetailScreen)
        assert EVIL in detail and "evil@example.com" in detail

    def test_filter_and_sort_keys(self, services):
        with_volume(10)

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press("f", "f")  # all → owing → overdue
            await settle(pilot)
            overdue = screen_text(pilot.app)
            for _ in range(5):  # name ↑, name ↓, email ↑, email ↓, owed ↑ → owed ↓
                await pilot.press("s")
            await settle(pilot)
            return overdue, screen_text(pilot.app)

        overdue, by_owed = drive(admin_app(services), script, size=(100, 30))
        assert "Overdue · by name ↑" in overdue and "1–11 of 11 clients" in overdue
        assert "Birch Bakery" not in overdue
        rows = [line for line in by_owed.splitlines() if "@" in line]
        assert "Overdue · by owed ↓" in by_owed and "Acme Dental" in rows[0]
