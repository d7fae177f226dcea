"""Recover password: the same answer for every email, then the emailed code and a new password."""

from __future__ import annotations

import re

from textual.widgets import Input

from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.recover import HAVE_CODE, SENT, RecoverScreen
from tests.fixtures.kiosk import (
    DEMO_EMAIL,
    drive,
    mail_text,
    open_recover,
    outbox,
    screen_text,
    set_password,
    settle,
    sign_in,
    wait_for_mail,
)
from tui.kiosk_app import make_kiosk_app


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
            await set_password(pilot, code, "brand-new-secret-42")
            assert "Your password was changed" in screen_text(app)
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


def test_an_invitation_code_sets_the_first_password_with_i_have_a_code(services):
    """A client added without a login, invited (`paydesk client invite`): "I have a code"
    takes the emailed code without asking for a new one, and the client can sign in."""
    client = services.clients.create(1, "Cedar Clinic", "cedar@example.com", actor="test")
    services.clients.invite(client.email, "ssh -p 2222 billing.example.com", actor="test")
    message = [m for m in outbox(services) if "set your password" in str(m["Subject"])][-1]
    code = re.search(r"Your code is:\s+(\S+)", mail_text(message)).group(1)

    async def script(pilot):
        app = pilot.app
        await open_recover(pilot, client.email)
        await pilot.click("#have-code")
        await settle(pilot)
        assert str(app.screen.query_one("#sent").render()) == HAVE_CODE
        await set_password(pilot, code, "cedar-first-secret-1")
        await sign_in(pilot, client.email, "cedar-first-secret-1")
        assert isinstance(app.screen, DashboardScreen)

    drive(make_kiosk_app(services), script)
    # No second code was asked for: the invitation's was enough.
    assert not [m for m in outbox(services) if "recovery code" in str(m["Subject"])]
