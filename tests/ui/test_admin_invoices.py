"""Invoices: every invoice of the business paged in SQL with what it shows, search, filter,
sort; Enter opens the editor, `n` a new invoice; stored text stays literal."""

from __future__ import annotations

import re

from models import Business, Client
from screens.admin.invoices import InvoicesScreen
from services.invoices.views import LineInput
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle
from tests.fixtures.volume import add_volume

EVIL = "Evil [/b] Ltd"


def with_volume(services, clients: int = 40) -> None:
    business = Business.get().id
    add_volume(business, clients, 3, TODAY)
    evil = Client.create(business=business, name=EVIL, email="evil@example.com")
    services.invoices.create(evil.id, [LineInput("[b]Setup", 5000)], issue_date=TODAY)


class TestInvoicesScreen:
    def test_snapshot(self, services, snap_compare):
        with_volume(services)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f3"))

    def test_snapshot_80x24(self, services, snap_compare):
        with_volume(services)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f3"))

    def test_pages_search_filter_sort(self, services):
        with_volume(services)

        async def script(pilot):
            await pilot.press("f3")
            await settle(pilot)
            assert isinstance(pilot.app.screen, InvoicesScreen)
            seen = [screen_text(pilot.app)]
            await pilot.press("right_square_bracket")
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("slash", *"evil")
            await pilot.pause(0.5)  # the search waits for typing to stop
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("enter", "slash", "end", "ctrl+u", "enter")
            await pilot.pause(0.5)
            await pilot.press("f", "f", "f", "f", "f", "f")  # all → … → overdue
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            return seen

        first, second, searched, overdue = drive(admin_app(services), script, size=(100, 30))
        assert "1–50 of 127 invoices, as of 11:00 AM" in first  # 15:00 UTC in New York
        numbers = re.findall(r"V\d{6}-\d{3}", first)
        assert len(numbers) == 23 and numbers == sorted(numbers, reverse=True)  # newest first
        assert "51–100 of 127 invoices" in second
        assert "1–1 of 1 invoices" in searched and EVIL in searched and "INV-0007" in searched
        assert "Overdue · by number ↓" in overdue
        rows = [line for line in overdue.splitlines() if re.search(r" (V0|INV-)", line)]
        assert rows and all("overdue" in line for line in rows)
