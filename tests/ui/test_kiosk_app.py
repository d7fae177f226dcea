"""App-wide: the too-small notice, the idle timeout, log out, the factory."""

from __future__ import annotations

import dataclasses

from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.login import LoginScreen
from screens.widgets.too_small import TooSmall
from tests.fixtures.kiosk import drive, screen_text, settle, sign_in
from tui.kiosk_app import KioskApp, make_kiosk_app


class TestTooSmall:
    def test_snapshot_60x20(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(60, 20), run_before=settle)

    def test_shown_below_80x24_and_gone_on_growing(self, services):
        async def script(pilot):
            app = pilot.app
            await sign_in(pilot)
            seen = [app.screen.query_one(TooSmall).display]
            await pilot.resize_terminal(79, 30)
            await settle(pilot)
            seen.append(app.screen.query_one(TooSmall).display)
            await pilot.resize_terminal(100, 23)
            await settle(pilot)
            seen.append(app.screen.query_one(TooSmall).display)
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            seen.append(app.screen.query_one(TooSmall).display)
            return seen, app.screen

        seen, screen = drive(make_kiosk_app(services), script, size=(100, 30))
        assert seen == [False, True, True, False]
        assert isinstance(screen, DashboardScreen)


class TestHowToQuit:
    def test_every_footer_and_the_too_small_notice_say_ctrl_q_quits(self, services):
        async def script(pilot):
            app = pilot.app
            footers = [screen_text(app).splitlines()[-1]]  # the login screen
            await sign_in(pilot)
            footers.append(screen_text(app).splitlines()[-1])  # the dashboard
            await pilot.resize_terminal(60, 20)
            await settle(pilot)
            return footers, screen_text(app)

        footers, small = drive(make_kiosk_app(services), script, size=(100, 30))
        assert all("^q Quit" in footer for footer in footers), footers
        assert "Ctrl+Q quits" in small


class TestIdleTimeout:
    def test_warns_then_signs_out(self, services):
        quick = dataclasses.replace(
            services, config=dataclasses.replace(services.config, idle_timeout=3.0)
        )

        async def script(pilot):
            app = pilot.app
            warnings: list[str] = []
            notify = app.notify

            def recording_notify(message, **kwargs):
                warnings.append(message)
                notify(message, **kwargs)

            app.notify = recording_notify
            await sign_in(pilot)
            assert isinstance(app.screen, DashboardScreen)
            while not warnings:  # the warning comes half-way (a minute before, normally)
                await pilot.pause(0.1)
            await pilot.press("down")  # activity: the countdown starts again
            await pilot.pause(2.0)
            still_in = isinstance(app.screen, DashboardScreen)
            while isinstance(app.screen, DashboardScreen):
                await pilot.pause(0.1)
            await settle(pilot)
            notice = str(app.screen.query_one("#login-notice").render())
            return warnings, still_in, app.screen, notice

        warned, still_in, screen, notice = drive(make_kiosk_app(quick), script)
        assert "You will be signed out in 2 seconds" in warned[0]
        assert still_in
        assert isinstance(screen, LoginScreen)
        assert notice == "You were signed out after 0.05 minutes without activity."

    def test_default_is_ten_minutes(self, services):
        assert make_kiosk_app(services).idle_timeout == 600.0


def test_log_out_returns_to_login_and_is_audited(services):
    from models import AuditLog

    async def script(pilot):
        await sign_in(pilot)
        await pilot.click("#nav-logout")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        return pilot.app.screen, pilot.app.ctx, len(pilot.app.screen_stack)

    screen, ctx, depth = drive(make_kiosk_app(services, address="203.0.113.9"), script)
    assert isinstance(screen, LoginScreen) and ctx is None and depth == 2
    row = AuditLog.get(AuditLog.action == "logout")
    assert row.source_address == "203.0.113.9" and '"reason": "logout"' in row.detail


def test_factory_builds_the_kiosk(services):
    app = make_kiosk_app(services, address="203.0.113.9")
    assert isinstance(app, KioskApp) and app.address == "203.0.113.9"


def test_a_failing_service_call_shows_one_calm_line_and_logs_the_trace(services, caplog):
    class BrokenRecurring:
        """The real recurring service, except that next_charge fails (say the database went)."""

        def __getattr__(self, name):
            return getattr(services.recurring, name)

        def next_charge(self, client_id):
            raise RuntimeError("database is gone")

    broken = dataclasses.replace(services, recurring=BrokenRecurring())

    async def script(pilot):
        notes = []
        notify = pilot.app.notify

        def recording(message, **kwargs):
            notes.append(message)
            notify(message, **kwargs)

        pilot.app.notify = recording
        await sign_in(pilot)
        return notes, pilot.app.is_running, pilot.app.screen

    notes, running, screen = drive(make_kiosk_app(broken), script)
    assert running and isinstance(screen, DashboardScreen)
    assert notes == ["Something went wrong on our side; please try again in a moment."]
    assert "database is gone" in caplog.text


def test_a_login_disabled_by_the_business_is_back_at_login_within_seconds(services):
    """The owner disables the login (the console's door, as in another process); the kiosk's
    check ends the session and says why; signing in again is refused in one line."""
    from models import AuditLog, Contact
    from screens.kiosk.login import LoginScreen
    from services.doors.admin import AdminActor
    from tests.fixtures.kiosk import DEMO_EMAIL

    owner = services.admin(AdminActor.local("owner"))
    contact = Contact.get(Contact.email == DEMO_EMAIL)

    async def script(pilot):
        app = pilot.app
        await sign_in(pilot)
        assert isinstance(app.screen, DashboardScreen)
        owner.client_edits.set_enabled(contact.id, False)
        waited = 0.0
        while isinstance(app.screen, DashboardScreen) and waited < 8:
            await pilot.pause(0.1)
            waited += 0.1
        await settle(pilot)
        notice = str(app.screen.query_one("#login-notice").render())
        first = (app.screen, app.ctx, notice, waited)
        await sign_in(pilot)
        return first, screen_text(app)

    (screen, ctx, notice, waited), again = drive(make_kiosk_app(services), script)
    assert isinstance(screen, LoginScreen) and ctx is None
    assert notice == "This login was disabled by the business."
    assert waited < 5
    assert "This login is disabled. Ask the business to enable it." in again, again
    edited = AuditLog.get(AuditLog.action == "contact.edited")
    assert edited.actor == "admin:local:owner" and '"disabled": [false, true]' in edited.detail
    assert '"reason": "ended"' in AuditLog.get(AuditLog.action == "logout").detail
