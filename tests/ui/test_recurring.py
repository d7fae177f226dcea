"""Recurring invoices: status just left of the Disable/Enable link; confirmation; locked modes."""

from __future__ import annotations

from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.recurring import RecurringScreen
from tests.fixtures.kiosk import drive, screen_text, settle, signed_in_at
from tui.kiosk_app import make_kiosk_app

open_recurring = signed_in_at("recurring")


class TestRecurringScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=open_recurring
        )

    def test_snapshot_80x24_disable_confirmation(self, services, snap_compare):
        run_before = signed_in_at("recurring", "enter")
        app = make_kiosk_app(services)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_rows_show_description_frequency_amount_next_date_and_status(self, services):
        async def script(pilot):
            await open_recurring(pilot)
            return screen_text(pilot.app)

        text = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "Managed IT support plan" in text and "Monthly" in text and "$250.00" in text
        assert "Apr 1, 2026" in text
        row = next(line for line in text.splitlines() if "Managed IT" in line)
        # The status sits just to the left of the link.
        assert row.rstrip().endswith("Enabled   Disable")
        row = next(line for line in text.splitlines() if "Offsite backup" in line)
        assert row.rstrip().endswith("Disabled  Enable")

    def test_disable_asks_explains_and_then_reads_disabled(self, services):
        async def script(pilot):
            app = pilot.app
            await open_recurring(pilot)
            plan = app.screen.data.plans[0]
            await pilot.click(f"#toggle-{plan.id}")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            body = str(app.screen.query_one(".dialog-body").render())
            await pilot.click("#yes")
            await settle(pilot)
            assert isinstance(app.screen, RecurringScreen)
            status = str(app.screen.query_one(f"#status-{plan.id}").render())
            link = str(app.screen.query_one(f"#toggle-{plan.id}").label)
            return body, status, link, app.ctx.client_id

        body, status, link, client_id = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "Invoices will still be emailed to you" in body
        assert "nothing will be charged automatically" in body
        assert (status, link) == ("Disabled", "Enable")
        assert not services.recurring.list_for_client(client_id)[0].autobill_enabled

    def test_keeping_it_on_changes_nothing(self, services):
        async def script(pilot):
            app = pilot.app
            await open_recurring(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            return app.ctx.client_id

        client_id = drive(make_kiosk_app(services), script, size=(100, 30))
        assert services.recurring.list_for_client(client_id)[0].autobill_enabled

    def test_mode_the_client_cannot_change_shows_status_and_why(self, services):
        client_id = services.invoices.get(1).client_id
        plan = services.recurring.list_for_client(client_id)[0]
        services.recurring.set_mode(plan.id, "always", actor="test", override=True)

        async def script(pilot):
            await open_recurring(pilot)
            screen = pilot.app.screen
            return screen_text(pilot.app), bool(screen.query(f"#toggle-{plan.id}"))

        text, has_link = drive(make_kiosk_app(services), script, size=(100, 30))
        assert not has_link
        why = services.recurring.list_for_client(client_id)[0].why_not
        assert why and why[:30] in text.replace("\n", " ")

    def test_the_hint_speaks_of_a_link_only_where_there_is_one(self, services):
        client_id = services.invoices.get(1).client_id
        plans = services.recurring.list_for_client(client_id)

        async def script(pilot):
            await open_recurring(pilot)
            return str(pilot.app.screen.query_one("#rec-hint").render())

        switchable = drive(make_kiosk_app(services), script, size=(100, 30))
        for plan in plans:
            services.recurring.set_mode(plan.id, "always", actor="test", override=True)
        fixed = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "Disable/Enable link" in switchable and "Tab" in switchable
        assert "link" not in fixed and "Tab" not in fixed
        assert "set by us" in fixed
