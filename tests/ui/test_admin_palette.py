"""The command palette (Ctrl+P): a client found in SQL by name and shown literally, a
section by name, "refund PAY-…" opens that payment's refund dialog, "send INV-…" asks first."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from models import Business, Client, Invoice, Payment
from screens.admin.ask import AskDialog
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.refund import RefundDialog
from screens.admin.settings import SettingsScreen
from tests.fixtures.admin import admin_app
from tests.fixtures.kiosk import drive, screen_text, settle, settle_until

EVIL = "[b]Evil[/b] Ltd"


async def _ask(pilot, text: str) -> str:
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    for _ in range(30):
        await pilot.pause(0.05)
    await settle(pilot)
    return screen_text(pilot.app)


def test_palette_jumps_to_clients_sections_and_runs_verbs(services):
    Client.create(business=Business.get(), name=EVIL, email="evil@example.com")
    payment = Payment.select().where(Payment.method == "card").order_by(Payment.id).first()
    invoice = Invoice.select().where(Invoice.status == "sent").order_by(Invoice.id).first()

    async def script(pilot):
        shown = await _ask(pilot, "evil")
        await pilot.press("enter")
        await settle(pilot)
        client = pilot.app.screen
        await _ask(pilot, "settings")
        await pilot.press("enter")
        await settle(pilot)
        section = pilot.app.screen
        refund_text = await _ask(pilot, f"refund {payment.reference}")
        await pilot.press("enter")
        await settle(pilot)
        refund = pilot.app.screen
        await pilot.press("escape")
        await settle(pilot)
        send_text = await _ask(pilot, f"send {invoice.number}")
        await pilot.press("enter")
        await settle(pilot)
        return shown, client, section, refund_text, refund, send_text, pilot.app.screen

    shown, client, section, refund_text, refund, send_text, ask = drive(
        admin_app(services), script, size=(100, 30)
    )
    assert f"Client {EVIL}" in shown  # literally, not bold "Evil"
    assert isinstance(client, ClientDetailScreen)
    assert isinstance(section, SettingsScreen)
    assert f"Refund {payment.reference}" in refund_text
    assert isinstance(refund, RefundDialog)
    assert f"Send {invoice.number} to" in send_text
    assert isinstance(ask, AskDialog)


def _palette_open(text: str):
    """Ctrl+P, `text` typed, and every hit of the search listed."""

    async def script(pilot):
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in text:
            await pilot.press("space" if ch == " " else ch)
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)

        def listed() -> bool:
            hits = palette.query_one(CommandList)
            return hits.option_count > 0 and not palette._show_busy and palette._busy_timer is None

        await settle_until(pilot, listed)
        for _ in range(5):  # the list stays as it is once the search is over
            await pilot.pause(0.05)

    return script


class TestPaletteSnapshot:
    def test_snapshot_a_client_found_by_name(self, services, snap_compare):
        assert snap_compare(
            admin_app(services), terminal_size=(100, 30), run_before=_palette_open("acme")
        )

    def test_snapshot_80x24(self, services, snap_compare):
        assert snap_compare(
            admin_app(services), terminal_size=(80, 24), run_before=_palette_open("acme")
        )
