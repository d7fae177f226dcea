"""Settings (F10): every setting with where it comes from, the Stripe mode stated, refusals
under each field, a save audited and read back; the kiosk signs out on the stored timeout."""

from __future__ import annotations

import json

from textual.widgets import Input

from models import AuditLog, Business
from screens.admin.settings import SettingsScreen
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import drive, screen_text, settle, sign_in
from tui.kiosk_app import make_kiosk_app


async def _type(pilot, key: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#field-{key}", Input)
    field.value = text
    await pilot.pause()


class TestSettings:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f10"))

    def test_snapshot_80x24(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f10"))

    def test_refusals_are_named_under_their_fields_then_a_save_is_audited(self, services):
        async def script(pilot):
            await pilot.press("f10")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, SettingsScreen)
            shown = screen_text(pilot.app)
            await _type(pilot, "timezone", "Mars/Olympus_Mons")
            await _type(pilot, "retry_days", "7, 3")
            await _type(pilot, "billing_email", "billing.example.com")
            await pilot.press("ctrl+s")
            await settle(pilot)
            errors = {
                key: str(screen.query_one(f"#error-{key}").render())
                for key in ("timezone", "retry_days", "billing_email", "name")
            }
            focused = pilot.app.focused.id if pilot.app.focused else None
            await _type(pilot, "timezone", "Europe/Paris")
            await _type(pilot, "retry_days", "2, 4")
            await _type(pilot, "billing_email", "accounts@desktopmasters.example")
            await pilot.press("ctrl+s")
            await settle(pilot)
            after = {key: str(screen.query_one(f"#error-{key}").render()) for key in errors}
            note = str(screen.query_one("#note-retry_days").render())
            return shown, errors, focused, after, note

        shown, errors, focused, after, note = drive(admin_app(services), script, size=(100, 30))
        assert "Stripe: sandbox (localstripe: no card is charged)" in shown
        assert errors["timezone"].startswith("Time zone: 'Mars/Olympus_Mons' is not a time zone")
        assert errors["retry_days"] == "Retry days: each day after the one before, like 1, 3, 7"
        assert "not an email address" in errors["billing_email"]
        assert errors["name"] == ""
        assert focused == "field-billing_email"  # the first refused, in the form's order
        assert all(text == "" for text in after.values())
        assert "set here; default 1, 3, 7" in note
        business = Business.get()
        assert (business.timezone, business.billing_email) == (
            "Europe/Paris", "accounts@desktopmasters.example",
        )  # fmt: skip
        row = AuditLog.get(AuditLog.action == "settings.changed")
        changes = json.loads(row.detail)["changes"]
        assert changes["retry_days"] == [[1, 3, 7], [2, 4]]
        assert changes["timezone"] == ["America/New_York", "Europe/Paris"]
        assert row.actor.startswith("admin:key:SHA256:")

    def test_stored_names_are_shown_literally(self, services):
        Business.update(name="[b]Evil[/b] [@click=app.quit]").execute()

        async def script(pilot):
            await pilot.press("f10")
            await settle(pilot)
            return pilot.app.screen.query_one("#field-name", Input).value

        assert drive(admin_app(services), script, size=(100, 30)) == "[b]Evil[/b] [@click=app.quit]"


def test_the_kiosk_signs_out_on_the_stored_idle_timeout(services):
    from services.doors.admin import AdminActor

    services.admin(AdminActor.local("owner")).settings.save({"idle_timeout": "45"})

    async def script(pilot):
        await sign_in(pilot)
        return pilot.app.idle_timeout

    assert drive(make_kiosk_app(services), script) == 45.0
