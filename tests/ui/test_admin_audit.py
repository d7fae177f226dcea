"""Audit log (F9): the whole trail newest first, paged in SQL, filtered by client, action, who,
kind and dates; an entry shown whole, its changes' values before and after side by side;
stored text literal (a name holding markup is drawn as typed)."""

from __future__ import annotations

from models import Client
from screens.admin.audit import AuditScreen
from screens.admin.audit_entry import AuditEntryScreen
from services.audit import audit_many
from services.doors.admin import AdminActor
from tests.fixtures.admin import admin_app, in_section
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle

EVIL = "Acme [b]Dental[/b] & Sons"
OWNER = AdminActor.ssh_key("SHA256:Xq3mTzO0c5yVd1jG8kqWl2Yp6rB9sN4aHfE7uC0iJtM", "198.51.100.7")


def with_history(services, logins: int = 120) -> None:
    """The demo's rows, a busy kiosk (successful logins) and one owner's edit of Acme."""
    acme = Client.get(Client.email == "client@example.com")
    audit_many(
        f"contact:{acme.id}",
        "login.ok",
        ((f"contact:{acme.id}", {"session": n}) for n in range(logins)),
    )
    edits = services.admin(OWNER).client_edits
    edits.edit(acme.id, EVIL, "billing@acme.example", "12 Harbour Rd\nPortland ME")


def open_log(*keys: str):
    return in_section("f9", *keys)


def open_edit():
    """The log filtered to client edits, and the newest one opened."""

    async def script(pilot) -> None:
        await open_log("a", *"client.edited", "enter")(pilot)
        await pilot.press("enter")
        await settle(pilot)

    return script


class TestAuditScreen:
    def test_snapshot(self, services, snap_compare):
        with_history(services)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=open_log())

    def test_snapshot_80x24(self, services, snap_compare):
        with_history(services)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=open_log())

    def test_pages_filters_and_opens_an_entry(self, services):
        with_history(services)

        async def script(pilot):
            await open_log()(pilot)
            assert isinstance(pilot.app.screen, AuditScreen)
            seen = {"all": screen_text(pilot.app)}
            await pilot.press("n")
            await settle(pilot)
            seen["next"] = screen_text(pilot.app)
            await pilot.press("t")  # every action → money
            await settle(pilot)
            seen["money"] = screen_text(pilot.app)
            await pilot.press("t", "t", "t")  # back to every action
            await pilot.press("w", *"SHA256:Xq3m", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["owner"] = screen_text(pilot.app)
            await pilot.press("w", "ctrl+a", "ctrl+k", "enter", "slash", *"birch", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["birch"] = screen_text(pilot.app)
            await pilot.press("slash", "ctrl+a", "ctrl+k", "enter", "d", *"2026-13-01", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["bad date"] = screen_text(pilot.app)
            await pilot.press("d", "ctrl+a", "ctrl+k", *TODAY.isoformat(), "enter")
            await pilot.press("a", *"client.edited", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["edits today"] = screen_text(pilot.app)
            await pilot.press("enter")
            await settle(pilot)
            opened = pilot.app.screen
            seen["entry"] = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            return seen, opened, pilot.app.screen

        seen, opened, back = drive(admin_app(services), script, size=(100, 30))
        total = seen["all"].split(" of ", 1)[1].split(" entries")[0]
        assert seen["all"].startswith(" F1") and "1–50 of" in seen["all"]
        assert int(total.replace(",", "")) > 120 and "admin.opened" in seen["all"]
        assert f"51–100 of {total} entries" in seen["next"]
        assert "Money ·" in seen["money"] and "payment.succeeded" in seen["money"]
        assert "login.ok" not in seen["money"]
        assert "client.edited" in seen["owner"] and "login.ok" not in seen["owner"]
        assert "contact:1" not in seen["owner"]  # the kiosk's rows are someone else's
        assert "INV-" in seen["birch"] and "login.ok" not in seen["birch"]
        assert "write dates as 2026-03-16" in seen["bad date"]
        assert "1–1 of 1 entries" in seen["edits today"]
        assert isinstance(opened, AuditEntryScreen) and isinstance(back, AuditScreen)
        entry = seen["entry"]
        assert "client.edited" in entry and "198.51.100.7" in entry
        assert EVIL in entry and "Acme Dental" in entry  # before and after, literally
        assert "12 Harbour Rd\\nPortland ME" in entry  # stored on one line, shown as stored


class TestAuditEntryScreen:
    def test_snapshot(self, services, snap_compare):
        with_history(services, logins=3)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=open_edit())

    def test_snapshot_80x24(self, services, snap_compare):
        with_history(services, logins=3)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=open_edit())
