"""Export CSV from the console's lists: the list's filter respected, written in a worker with
its progress shown, the file in the data dir's exports folder, read back equal to the list,
audited; a snapshot of the finished dialog."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from pathlib import Path

import pytest

from models import AuditLog, Business
from screens.admin.export_dialog import ExportDialog
from services.config import Config, StripeSettings
from services.console.invoice_list import InvoiceQuery
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import TODAY, screen_text, settle
from tests.fixtures.volume import add_volume

SNAPSHOT_HOME = Path("/tmp/paydesk-export-snapshot/home")  # the dialog names the folder
# Every test here uses SNAPSHOT_HOME (and empties it first): all on one xdist worker.
pytestmark = pytest.mark.xdist_group("export-snapshot-home")


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        comment = f.readline()
        assert comment.startswith("# paydesk export of ")
        return list(csv.DictReader(io.StringIO(f.read(), newline="")))


def run_with_hook(app, script, size=(100, 30)):
    seen: list = []

    async def main():
        async with app.run_test(size=size, message_hook=seen.append) as pilot:
            await settle(pilot)
            return await script(pilot)

    return asyncio.run(main()), seen


def test_invoices_export_the_filtered_list_with_progress(services, kiosk_config):
    add_volume(Business.get().id, 1000, 3, TODAY)

    async def script(pilot):
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f", "f")  # all invoices → drafts → sent
        await settle(pilot)
        shown = pilot.app.screen.ask
        await pilot.press("e")
        await settle(pilot)
        dialog = pilot.app.screen
        text = screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        return shown, dialog, text, pilot.app.screen

    (ask, dialog, text, after), seen = run_with_hook(admin_app(services), script)
    assert isinstance(dialog, ExportDialog) and not isinstance(after, ExportDialog)
    assert ask == InvoiceQuery(filter_by="sent")
    path = kiosk_config.home / "exports" / "invoices-2026-03-16-110000.csv"
    rows = read_csv(path)
    want = services.admin(dialog.ctx.door.who).invoices.page(ask, 0, 10).total
    assert len(rows) == want > 2000
    assert {r["status"] for r in rows} == {"sent", "overdue"}  # overdue: sent, past due
    assert f"{want:,} invoices written to {path.name}" in text and str(path.parent) in text
    progressed = [(m.done, m.total) for m in seen if isinstance(m, ExportDialog.Progressed)]
    assert progressed[0] == (1000, want) and progressed[-1] == (want, want)
    entry = AuditLog.get(AuditLog.action == "admin.export")
    assert entry.subject == "invoices" and path.name in entry.detail


def test_payments_export_follows_the_client_filter(services, kiosk_config):
    async def script(pilot):
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("slash", *"acme", "enter")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("e")  # the list has the focus again: e is Export, not a letter
        await settle(pilot)
        return screen_text(pilot.app)

    text, _ = run_with_hook(admin_app(services), script)
    assert "2 payments written to payments-2026-03-16-110000.csv" in text
    assert "client: acme" in text
    rows = read_csv(kiosk_config.home / "exports" / "payments-2026-03-16-110000.csv")
    assert {r["client"] for r in rows} == {"Acme Dental"}


def test_e_in_the_search_box_is_a_letter(services):
    async def script(pilot):
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("slash", "e")
        await settle(pilot)
        return pilot.app.screen

    screen, _ = run_with_hook(admin_app(services), script)
    assert not isinstance(screen, ExportDialog)


@pytest.fixture
def kiosk_config(tmp_path: Path, sandbox_url: str) -> Config:
    """A data dir at a fixed path: the finished dialog names its exports folder."""
    shutil.rmtree(SNAPSHOT_HOME.parent, ignore_errors=True)
    SNAPSHOT_HOME.mkdir(parents=True)
    return Config(
        home=SNAPSHOT_HOME,
        database_url=f"sqlite:///{tmp_path}/paydesk.db",
        idle_timeout=600.0,
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )


class TestExportDialog:
    def test_snapshot_finished(self, services, snap_compare):
        add_volume(Business.get().id, 40, 3, TODAY)
        run_before = at("f2", "f", "e")
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=run_before)

    def test_snapshot_finished_80x24(self, services, snap_compare):
        add_volume(Business.get().id, 40, 3, TODAY)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f3", "e"))
