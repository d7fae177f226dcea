"""Recurring (F4): the list paged in SQL with the mode and the client's own choice; the editor
with its preview, the override asked about (and emailed), pause and resume."""

from __future__ import annotations

from models import AuditLog, Business, Client, RecurringInvoice, RecurringLine
from screens.admin.ask import AskDialog
from screens.admin.recurring import RecurringScreen
from screens.admin.recurring_editor import RecurringEditorScreen
from tests.fixtures.admin import admin_app, at, cut_columns
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle, settle_until

EVIL = "Evil [/b] Ltd"


def with_volume(plans: int = 70) -> None:
    business = Business.get()
    evil = Client.create(business=business, name=EVIL, email="evil@example.com")
    for n in range(plans):
        rec = RecurringInvoice.create(
            business=business, client=evil, description=f"Plan [{n:02d}]", anchor_date=TODAY,
            next_date=TODAY, frequency="3months", autobill_mode=("always", "optin", "off")[n % 3],
            status="paused" if n % 5 == 0 else "active",
        )  # fmt: skip
        RecurringLine.create(recurring=rec, description="Care", unit_price=5000 + n)


def offsite() -> RecurringInvoice:
    return RecurringInvoice.get(RecurringInvoice.description == "Offsite backup storage")


class TestRecurringList:
    def test_snapshot(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f4"))

    def test_snapshot_80x24(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f4"))

    def test_every_column_fits_at_80x24(self, services):
        with_volume()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            return cut_columns(pilot.app, "#recurring"), screen_text(pilot.app)

        cut, text = drive(admin_app(services), script, size=(80, 24))
        assert cut == []
        header = next(line for line in text.splitlines() if "Description" in line)
        assert header.split() == ["Client", "Description", "Next", "Amount", "Mode", "Client"]
        assert "$50.01" in text and "optin" in text and "always" in text
        assert "paused" in text  # a paused plan says so where its next date would be

    def test_a_resize_lays_the_columns_out_again(self, services):
        with_volume()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            wide = screen_text(pilot.app)
            await pilot.resize_terminal(80, 24)
            await settle_until(pilot, lambda: "Every" not in screen_text(pilot.app))
            narrow = cut_columns(pilot.app, "#recurring"), screen_text(pilot.app)
            await pilot.resize_terminal(100, 30)
            await settle_until(pilot, lambda: "Every" in screen_text(pilot.app))
            return wide, narrow, cut_columns(pilot.app, "#recurring")

        wide, (cut, narrow), cut_again = drive(admin_app(services), script, size=(100, 30))
        assert "Every" in wide and "Status" in wide and "Plan [01]" in wide
        assert cut == [] and "Status" not in narrow and "Plan [01]" in narrow
        assert cut_again == []

    def test_pages_filters_and_opens(self, services):
        with_volume()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(pilot.app.screen, RecurringScreen)
            first = screen_text(pilot.app)
            await pilot.press("right_square_bracket")  # n is New here
            await settle(pilot)
            second = screen_text(pilot.app)
            await pilot.press("f", "f")  # live → active → paused
            await settle(pilot)
            paused = screen_text(pilot.app)
            await pilot.press("enter")
            await settle(pilot)
            return first, second, paused, pilot.app.screen

        first, second, paused, opened = drive(admin_app(services), script, size=(100, 30))
        assert "1–50 of 72 recurring invoices, as of 11:00 AM" in first
        assert EVIL in first and "Plan [01]" in first
        assert "51–72 of 72 recurring invoices" in second and "Acme Dental" in second
        assert "Paused · by next date" in paused and "1–14 of 14" in paused
        assert isinstance(opened, RecurringEditorScreen)


class TestRecurringEditor:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            admin_app(services), terminal_size=(100, 30), run_before=at("f4", "down", "enter")
        )

    def test_snapshot_80x24(self, services, snap_compare):
        assert snap_compare(
            admin_app(services), terminal_size=(80, 24), run_before=at("f4", "down", "enter")
        )

    def test_override_is_asked_then_emailed_and_other_edits_keep_the_choice(self, services):
        plan = offsite()  # the client has it off

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4", "down", "enter")
            await settle(pilot)
            screen = pilot.app.screen
            shown = screen_text(pilot.app)
            screen.query_one("#rec-description").value = "Offsite backup (2 TB)"
            await pilot.pause(0.5)
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            kept = RecurringInvoice.get_by_id(plan.id)
            screen.query_one("#rec-mode").value = "always"
            await pilot.press("ctrl+s")
            await settle(pilot)
            asked = pilot.app.screen
            question = screen_text(pilot.app)
            await pilot.click("#ask-override")
            await settle(pilot)
            return shown, kept, asked, question

        sent = len(services.mailer.outbox_messages())
        shown, kept, asked, question = drive(admin_app(services), script, size=(100, 30))
        assert "Client's choice: auto-pay off" in shown and "Next invoices" in shown
        assert "Apr 1, 2026" in shown and "$40.00" in shown
        assert (kept.description, kept.client_autobill, kept.autobill_mode) == (
            "Offsite backup (2 TB)",
            False,
            "optout",
        )
        assert isinstance(asked, AskDialog) and "The client chose auto-pay off" in question
        saved = RecurringInvoice.get_by_id(plan.id)
        assert (saved.autobill_mode, saved.client_autobill) == ("always", False)
        mails = services.mailer.outbox_messages()[sent:]
        assert len(mails) == 1 and "set by us" in mails[0]["Subject"]
        row = AuditLog.get(AuditLog.action == "recurring.autobill_overridden")
        assert row.actor.startswith("admin:key:") and row.source_address == "198.51.100.7"

    def test_pause_and_resume(self, services):
        plan = offsite()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4", "down", "enter")
            await settle(pilot)
            await pilot.press("ctrl+r")
            await settle(pilot)
            paused = RecurringInvoice.get_by_id(plan.id).status
            text = screen_text(pilot.app)
            await pilot.press("ctrl+r")
            await settle(pilot)
            return paused, text

        paused, text = drive(admin_app(services), script, size=(80, 24))
        assert paused == "paused" and "paused" in text
        assert RecurringInvoice.get_by_id(plan.id).status == "active"
