"""Login: snapshot, focus order, wrong credentials, throttling, the two ways onward."""

from __future__ import annotations

from textual.widgets import Input

from models import AuditLog
from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.login import LoginScreen
from screens.kiosk.recover import RecoverScreen
from tests.fixtures.kiosk import DEMO_EMAIL, drive, screen_text, settle, sign_in
from tui.kiosk_app import make_kiosk_app


class TestLoginScreen:
    def test_snapshot(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=settle)

    def test_cursor_starts_in_email_tab_to_password_enter_signs_in(self, services):
        async def script(pilot):
            app = pilot.app
            assert isinstance(app.screen, LoginScreen)
            assert app.focused is app.screen.query_one("#email", Input)
            await pilot.press(*DEMO_EMAIL, "tab")
            assert app.focused is app.screen.query_one("#password", Input)
            assert app.focused.password  # masked
            await pilot.press(*"paydesk-demo", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)

        drive(make_kiosk_app(services), script)

    def test_wrong_password_and_unknown_email_read_the_same(self, services):
        async def script(pilot):
            app = pilot.app
            await sign_in(pilot, DEMO_EMAIL, "not-the-password")
            wrong = str(app.screen.query_one("#login-error").render())
            assert isinstance(app.screen, LoginScreen)
            assert app.screen.query_one("#password", Input).value == ""
            email = app.screen.query_one("#email", Input)
            email.value = ""
            email.focus()
            await sign_in(pilot, "nobody@example.com", "not-the-password")
            unknown = str(app.screen.query_one("#login-error").render())
            return wrong, unknown

        wrong, unknown = drive(make_kiosk_app(services), script)
        assert wrong == unknown == "Invalid email or password."

    def test_throttled_login_says_try_again_in_minutes(self, services):
        async def script(pilot):
            app = pilot.app
            for _ in range(12):
                app.screen.query_one("#email", Input).value = ""
                app.screen.query_one("#email", Input).focus()
                await sign_in(pilot, DEMO_EMAIL, "wrong-password")
                if "Too many" in screen_text(app):
                    break
            return screen_text(app)

        text = drive(make_kiosk_app(services), script)
        assert "Too many attempts. Try again in" in text
        assert "minute" in text

    def test_recover_link_is_directly_under_the_password_box(self, services):
        async def script(pilot):
            app = pilot.app
            password = app.screen.query_one("#password")
            link = app.screen.query_one("#recover")
            assert link.region.y == password.region.bottom
            assert link.region.x >= password.region.x
            await pilot.click("#recover")
            await settle(pilot)
            assert isinstance(app.screen, RecoverScreen)

        drive(make_kiosk_app(services), script)

    def test_markup_in_the_email_box_is_inert(self, services):
        async def script(pilot):
            await sign_in(pilot, "[@click=app.quit]x", "whatever-pass")
            assert pilot.app.is_running
            assert isinstance(pilot.app.screen, LoginScreen)

        drive(make_kiosk_app(services), script)

    def test_a_password_typed_into_the_email_box_is_not_kept(self, services):
        async def script(pilot):
            await sign_in(pilot, "My-Secret-Passw0rd", "anything-at-all")
            assert "Invalid email or password." in screen_text(pilot.app)

        drive(make_kiosk_app(services), script)
        rows = repr(list(AuditLog.select().tuples()))
        assert "login.failed" in rows
        assert "my-secret-passw0rd" not in rows.lower()
