"""Add and edit a client, its contacts, invite one, disable a login: the console's forms,
refused field by field and saved through the door (audited as the owner)."""

from __future__ import annotations

from models import AuditLog, Client, Contact
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.form_dialog import FormDialog
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import drive, screen_text, settle


async def done(pilot, *keys: str) -> str:
    """Press `keys`, wait for what they started (workers too); what the screen shows then."""
    await pilot.press(*keys)
    await settle(pilot)
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    return screen_text(pilot.app)


def contacts_tab(*keys: str):
    """A snapshot `run_before`: Acme Dental's detail, its Contacts tab, then `keys`."""
    return at("f2", "enter", "1", *keys)


class TestClientForm:
    def test_snapshot(self, services, snap_compare):
        run = at("f2", "a", *"Kestrel", "enter")  # saved with no email: refused by field
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=run)

    def test_snapshot_80x24(self, services, snap_compare):
        run = at("f2", "enter", "e")
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=run)

    def test_add_refused_by_field_then_saved_and_opened(self, services):
        async def script(pilot):
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("space", "tab", *"nope")
            await pilot.press("ctrl+s")
            await settle(pilot)
            refused = screen_text(pilot.app)
            await pilot.press("ctrl+u", *"Kestrel Labs", "tab", "ctrl+u")
            await pilot.press(*"hello@kestrel.example", "tab", *"1 Main St")
            await done(pilot, "ctrl+s")
            return refused, pilot.app.screen, screen_text(pilot.app)

        refused, opened, detail = drive(admin_app(services), script, size=(100, 30))
        assert "Enter the client's name." in refused
        assert "'nope': Enter a valid email address." in refused
        assert isinstance(opened, ClientDetailScreen)
        assert "Kestrel Labs" in detail and "1 Main St" in detail
        row = Client.get(Client.email == "hello@kestrel.example")
        assert (row.name, row.address) == ("Kestrel Labs", "1 Main St")
        created = AuditLog.get(AuditLog.action == "client.created")
        assert created.actor.startswith("admin:key:") and created.source_address == "198.51.100.7"


class TestContactDialog:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            admin_app(services), terminal_size=(100, 30), run_before=contacts_tab("n")
        )

    def test_snapshot_80x24(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=contacts_tab())

    def test_add_invite_disable_enable_and_remove_a_contact(self, services):
        async def script(pilot):
            seen = {}
            notes: list[str] = []
            notify = pilot.app.notify

            def recording(message, **kwargs):
                notes.append(message)
                notify(message, **kwargs)

            pilot.app.notify = recording
            seen["notes"] = notes
            await settle(pilot)
            for key in ("f2", "enter", "1"):
                await pilot.press(key)
                await settle(pilot)
            await pilot.press("i")  # the demo's login has a password: one line, refused
            await settle(pilot)
            await pilot.app.workers.wait_for_complete()
            await settle(pilot)
            seen["refused"] = screen_text(pilot.app)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(pilot.app.screen, FormDialog)
            seen["taken"] = await done(pilot, *"Robin", "tab", *"client@example.com", "enter")
            await done(pilot, "ctrl+u", *"robin@acme.example", "enter")
            seen["invited"] = await done(pilot, "down", "i")
            await pilot.press("d")
            await settle(pilot)
            seen["question"] = screen_text(pilot.app)
            seen["disabled"] = await done(pilot, "ctrl+s")
            seen["enabled"] = await done(pilot, "u")
            await pilot.press("x")
            await settle(pilot)
            seen["removed"] = await done(pilot, "ctrl+s")
            return seen

        seen = drive(admin_app(services), script, size=(100, 30))
        notes = seen["notes"]
        assert notes[0] == (
            "client@example.com already has a login with a password; no invitation sent (they "
            'can choose "Forgot password?" on the sign-in screen)'
        )
        assert "A login with that email already exists." in seen["taken"]
        assert notes[1] == "Invitation sent to robin@acme.example (a code to set a password)."
        assert "robin@acme.example" in seen["question"] and "within seconds" in seen["question"]
        assert "disabled" in seen["disabled"]
        assert notes[2] == "robin@acme.example can sign in again."
        assert "robin@acme.example" not in seen["removed"].split("Audit trail")[-1]
        assert not Contact.select().where(Contact.email == "robin@acme.example").exists()
        actions = [
            r.action for r in AuditLog.select().where(AuditLog.actor.startswith("admin:key:"))
        ]
        for action in ("contact.created", "contact.invited", "contact.edited", "contact.removed"):
            assert action in actions
