"""Recover password: the same answer for every email, then the emailed code and a new password."""

from __future__ import annotations

import re

from textual.widgets import Input

from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.login import LoginScreen
from screens.kiosk.recover import SENT, RecoverScreen
from tests.fixtures.kiosk import (
    DEMO_EMAIL,
    drive,
    mail_text,
    screen_text,
    settle,
    sign_in,
    wait_for_mail,
)
from tui.kiosk_app import make_kiosk_app


async def open_recover(pilot, email: str = "") -> None:
    await pilot.press(*email) if email else None
    await pilot.press("ctrl+r")
    await settle(pilot)


class TestRecoverScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(80, 24), run_before=open_recover
        )

    def test_snapshot_code_step(self, services, snap_compare):
        async def run_before(pilot):
            await open_recover(pilot, "nobody@example.com")
            await pilot.click("#send-code")
            await settle(pilot)

        app = make_kiosk_app(services)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_code_from_email_sets_a_new_password(self, services):
        async def script(pilot):
            app = pilot.app
            await open_recover(pilot, DEMO_EMAIL)
            assert isinstance(app.screen, RecoverScreen)
            assert app.screen.query_one("#recover-email", Input).value == DEMO_EMAIL
            await pilot.press("enter")
            await settle(pilot)
            assert SENT in screen_text(app).replace("\n", " ") or app.screen.query_one("#sent")
            message = await wait_for_mail(pilot, services, "password recovery code")
            code = re.search(r"recovery code is:\s+(\S+)", mail_text(message)).group(1)
            assert app.focused is app.screen.query_one("#code", Input)
            await pilot.press(*code, "enter")
            await pilot.press(*"brand-new-secret-42", "enter")
            await pilot.press(*"brand-new-secret-42", "enter")
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen)
            assert "Your password was changed" in screen_text(app)
            app.screen.query_one("#email", Input).focus()
            await sign_in(pilot, DEMO_EMAIL, "brand-new-secret-42")
            assert isinstance(app.screen, DashboardScreen)

        drive(make_kiosk_app(services), script)

    def test_unknown_email_gets_the_same_answer(self, services):
        async def script(pilot):
            app = pilot.app
            await open_recover(pilot)
            await pilot.press(*"nobody@example.com", "enter")
            await settle(pilot)
            return str(app.screen.query_one("#sent").render()), app.screen.query_one("#step-code")

        answer, step = drive(make_kiosk_app(services), script)
        assert answer == SENT
        assert "If that address has an account, a code is on its way" in answer

    def test_two_different_new_passwords_are_refused(self, services):
        async def script(pilot):
            app = pilot.app
            await open_recover(pilot)
            await pilot.press(*DEMO_EMAIL, "enter")
            await settle(pilot)
            await pilot.press(*"whatever", "enter")
            await pilot.press(*"first-password-1", "enter")
            await pilot.press(*"second-password-2", "enter")
            await settle(pilot)
            return app.screen, str(app.screen.query_one("#recover-error").render())

        screen, error = drive(make_kiosk_app(services), script)
        assert isinstance(screen, RecoverScreen)
        assert "different" in error
