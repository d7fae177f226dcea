"""Help: the instructions as numbered steps; the client's current step highlighted."""

from __future__ import annotations

from screens.kiosk.help import HelpScreen
from screens.widgets.step_guide import StepGuide
from tests.fixtures.kiosk import drive, go, settle, sign_in, signed_in_at
from tui.kiosk_app import make_kiosk_app

help_from_invoices = signed_in_at("invoices", "h")


class TestHelpScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=help_from_invoices
        )

    def test_current_step_is_highlighted(self, services):
        async def script(pilot):
            await help_from_invoices(pilot)
            screen = pilot.app.screen
            return screen, str(screen.query_one("#help-text").render())

        screen, text = drive(make_kiosk_app(services), script, size=(100, 30))
        assert isinstance(screen, HelpScreen)
        here = next(line for line in text.splitlines() if "you are here" in line)
        assert here.startswith("▶ 3.")
        assert "does NOT pay an invoice" in text

    def test_step_guide_advances_as_the_client_moves(self, services):
        async def script(pilot):
            steps = []
            await settle(pilot)
            steps.append(pilot.app.screen.query_one(StepGuide).step)
            await sign_in(pilot)
            steps.append(pilot.app.screen.query_one(StepGuide).step)
            await go(pilot, "invoices")
            steps.append(pilot.app.screen.query_one(StepGuide).step)
            await pilot.press("enter")
            await settle(pilot)
            steps.append(pilot.app.screen.query_one(StepGuide).step)
            return steps

        assert drive(make_kiosk_app(services), script, size=(100, 30)) == [0, 1, 2, 3]
