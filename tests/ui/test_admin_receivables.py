"""Receivables (F6): the aging as of a day, stated on screen, in total and per client, that
adds up; the day changed in its box (a bad or future day refused and said); Enter opens the
client's statements; `e` exports the aging of the day shown; snapshots at 100x30 and 80x24."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from models import AuditLog, Business, Client
from screens.admin.export_dialog import ExportDialog
from screens.admin.receivables import ReceivablesScreen
from screens.admin.statement import StatementScreen
from services.console.aging import aging_page
from services.console.receivables import receivables
from tests.fixtures.admin import admin_app, at
from tests.fixtures.aging import add_aging
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle

PAST = date(2026, 2, 1)


def aging(day: date):
    b = Business.get()
    return aging_page(b.id, day, b.timezone, 0, 50)


async def give_day(pilot, text: str) -> str:
    await pilot.press("d", "ctrl+a", "ctrl+k", *text, "enter")
    await settle(pilot)
    return screen_text(pilot.app)


class TestReceivablesScreen:
    def test_snapshot(self, services, snap_compare):
        add_aging(services)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f6"))

    def test_snapshot_80x24(self, services, snap_compare):
        add_aging(services)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f6"))

    def test_the_day_its_totals_and_the_clients_add_up(self, services):
        add_aging(services)

        async def script(pilot):
            await pilot.press("f6")
            await settle(pilot)
            seen = {"today": screen_text(pilot.app), "screen": pilot.app.screen}
            seen["past"] = await give_day(pilot, PAST.isoformat())
            seen["past day"] = pilot.app.screen.day
            seen["bad"] = await give_day(pilot, "2026-02-31")
            seen["future"] = await give_day(pilot, "2026-03-17")
            seen["kept"] = pilot.app.screen.day, pilot.app.screen.query_one("#as-of").value
            return seen

        seen = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(seen["screen"], ReceivablesScreen)
        now = aging(TODAY)
        assert "As of Mar 16, 2026" in seen["today"]
        assert now.totals.owed == sum(r.owed for r in now.rows) == sum(now.totals.buckets)
        overview = receivables(Business.get().id, TODAY)  # today: the Overview's receivables
        assert (overview.owed, overview.open_count) == (now.totals.owed, now.totals.open_count)
        assert tuple(b.amount for b in overview.buckets) == now.totals.buckets
        for row in now.rows:  # each client's row is what its open invoices still ask
            open_ = [i for i in Client.get_by_id(row.client_id).invoices
                     if i.status in ("sent", "partial")]  # fmt: skip
            assert row.owed == sum(i.total - i.amount_paid for i in open_)
        assert f"by 3 clients on {now.totals.open_count} open invoices" in seen["today"]
        for amount in (now.totals.owed, *now.totals.buckets):
            assert f"${Decimal(amount).scaleb(-2):,}" in seen["today"]
        assert "1–3 of 3 clients owing, most owed first" in seen["today"]
        lines = [line for line in seen["today"].splitlines() if "Cedar Clinic" in line]
        assert lines and "$900.00" in lines[0] and "$350.00" in lines[0]  # 1,050 − 150 paid
        # Feb 1: Birch's and the newer Acme invoices were not issued yet; Cedar's 120-day one
        # was 77 days late, before the check of today.
        past = aging(PAST)
        assert seen["past day"] == PAST and "As of Feb 1, 2026" in seen["past"]
        assert past.totals.owed != now.totals.owed
        assert f"${Decimal(past.totals.owed).scaleb(-2):,}" in seen["past"]
        assert f"by {past.totals.clients} clients on {past.totals.open_count} open" in seen["past"]
        assert "“2026-02-31” is not a date: write it as 2026-03-16" in seen["bad"]
        assert "As of Feb 1, 2026" in seen["bad"]
        assert "2026-03-17 is in the future: the aging is of today or before" in seen["future"]
        assert seen["kept"] == (PAST, PAST.isoformat())

    def test_enter_opens_the_clients_statement_ending_on_the_day(self, services):
        add_aging(services)

        async def script(pilot):
            await pilot.press("f6")
            await settle(pilot)
            await give_day(pilot, PAST.isoformat())
            await pilot.press("enter")  # the first row: the most owed
            await settle(pilot)
            return pilot.app.screen, screen_text(pilot.app)

        screen, text = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, StatementScreen)
        assert screen.client_id == aging(PAST).rows[0].client_id
        assert screen.range == (date(2026, 1, 1), PAST)
        assert "Jan 1, 2026 – Feb 1, 2026" in text

    def test_export_writes_the_aging_of_the_day_shown(self, services, kiosk_config):
        add_aging(services)

        async def script(pilot):
            await pilot.press("f6")
            await settle(pilot)
            await give_day(pilot, PAST.isoformat())
            await pilot.press("e")
            await settle(pilot)
            return pilot.app.screen, screen_text(pilot.app)

        dialog, text = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(dialog, ExportDialog)
        path = kiosk_config.home / "exports" / "aging-2026-03-16-110000.csv"
        assert "As of Feb 1, 2026 (2026-02-01)" in text and path.name in text
        comment, _, body = path.read_text().partition("\n")
        assert "owed at the end of 2026-02-01" in comment
        rows = list(csv.DictReader(io.StringIO(body, newline="")))
        past = aging(PAST)
        assert {int(r["client_id"]): Decimal(r["owed"]) for r in rows} == {
            r.client_id: Decimal(r.owed).scaleb(-2) for r in past.rows
        }
        assert AuditLog.get(AuditLog.action == "admin.export").subject == "aging"
        assert Client.select().count() == 3

    def test_sorts(self, services):
        add_aging(services)

        async def script(pilot):
            await pilot.press("f6")
            await settle(pilot)
            seen = []
            for _ in range(3):
                await pilot.press("s")
                await settle(pilot)
                seen.append(screen_text(pilot.app))
            return seen

        oldest, by_name, owed = drive(admin_app(services), script, size=(100, 30))

        def order(text: str) -> list[str]:
            names = ("Acme Dental", "Birch Bakery", "Cedar Clinic")
            return [n for line in text.splitlines() for n in names if line.startswith(f" {n}")]

        assert "longest overdue first" in oldest
        assert order(oldest) == ["Cedar Clinic", "Acme Dental", "Birch Bakery"]
        assert "by name" in by_name
        assert order(by_name) == ["Acme Dental", "Birch Bakery", "Cedar Clinic"]
        assert "most owed first" in owed
        assert order(owed) == ["Cedar Clinic", "Acme Dental", "Birch Bakery"]
