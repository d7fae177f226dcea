"""A new recurring invoice from the console: the client picked by search, the fields refused
one by one, a past anchor's rule said on screen, the plan added (audited) and listed."""

from __future__ import annotations

from models import AuditLog, Business, Client, Invoice, RecurringInvoice
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.client_pick import ClientPickDialog
from screens.admin.recurring import RecurringScreen
from screens.admin.recurring_new import NewRecurringScreen
from tests.fixtures.admin import admin_app
from tests.fixtures.kiosk import drive, screen_text, settle, settle_until

PAST_NOTE = "is in the past: billing starts with the next period"


async def new_plan_for_acme(pilot) -> NewRecurringScreen:
    """F4, n, "acme" in the picker, Enter: the new plan's editor for Acme Dental."""
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ClientPickDialog)
    await pilot.press(*"acme")
    await settle_until(pilot, lambda: "Acme Dental  <" in screen_text(pilot.app))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NewRecurringScreen)
    return screen


async def fill(pilot, screen: NewRecurringScreen, shows: str, **values: str) -> str:
    """Set the fields, wait until the screen shows `shows`, and return what it shows."""
    for key, value in values.items():
        if key == "lines":
            screen.query_one("#rec-lines").text = value
        else:  # an Input, or the Select of the mode or of back-filling
            screen.query_one(f"#rec-{key}").value = value
    screen._preview_now()
    await settle_until(pilot, lambda: shows in flat(screen_text(pilot.app)))
    return screen_text(pilot.app)


def flat(text: str) -> str:
    """The screen's words with single spaces: a message wrapped on two lines reads whole."""
    return " ".join(text.split())


def filled(shows: str, **values: str):
    async def script(pilot) -> None:
        screen = await new_plan_for_acme(pilot)
        await fill(pilot, screen, shows, **values)

    return script


def more_clients() -> None:
    business = Business.get()
    Client.create(business=business, name="Beta Bakery", email="beta@example.com")
    Client.create(business=business, name="Evil [/b] Ltd", email="evil@example.com")


def picking(text: str):
    """F4, n, and `text` typed in the client picker, its matches read."""

    async def script(pilot) -> None:
        await settle(pilot)
        await pilot.press("f4", "n")
        await settle(pilot)
        await pilot.press(*text)
        await settle(pilot)

    return script


HOSTING = {"description": "Website hosting", "lines": "Hosting=25.00\nBackups=5.00x2"}


class TestNewRecurringScreen:
    def test_snapshot(self, services, snap_compare):
        script = filled("Apr 10, 2026", anchor="2026-04-10", **HOSTING)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=script)

    def test_snapshot_80x24_past_anchor(self, services, snap_compare):
        script = filled(PAST_NOTE, anchor="2026-01-05", **HOSTING)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=script)

    def test_snapshot_80x24_refused(self, services, snap_compare):
        bad = {"anchor": "2026-13-01", "count": "0", "lines": "Hosting=abc"}
        script = filled("or after:", description="Hosting", **bad)
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=script)

    def test_snapshot_picker(self, services, snap_compare):
        more_clients()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=picking("a"))

    def test_snapshot_picker_80x24(self, services, snap_compare):
        more_clients()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=picking("a"))

    def test_the_picker_searches_and_escape_picks_none(self, services):
        more_clients()

        async def script(pilot):
            await picking("zzz-nobody")(pilot)
            nobody = screen_text(pilot.app)
            for _ in "zzz-nobody":
                await pilot.press("backspace")
            await pilot.press(*"beta")
            await settle_until(pilot, lambda: "Beta" in screen_text(pilot.app))
            beta = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            return nobody, beta, pilot.app.screen

        nobody, beta, screen = drive(admin_app(services), script, size=(80, 24))
        assert "No client matches." in nobody
        assert "Beta Bakery  <beta@example.com>" in beta and "Acme Dental" not in beta
        assert "1 of 1 clients" in beta
        assert isinstance(screen, NewRecurringScreen) and screen.client is None

    def test_fill_add_then_listed_and_audited(self, services):
        acme = Client.get(Client.name == "Acme Dental")
        before = RecurringInvoice.select().count()

        async def script(pilot):
            screen = await new_plan_for_acme(pilot)
            text = await fill(pilot, screen, "Apr 10, 2026", anchor="2026-04-10", **HOSTING)
            await pilot.press("ctrl+s")
            await settle_until(pilot, lambda: isinstance(pilot.app.screen, RecurringScreen))
            await settle_until(pilot, lambda: "Website hosting" in screen_text(pilot.app))
            return text, screen_text(pilot.app)

        text, listed = drive(admin_app(services), script, size=(100, 30))
        assert "New recurring invoice for Acme Dental" in text
        assert "The first invoice is for Apr 10, 2026, the anchor." in text
        assert "Apr 10, 2026 $35.00" in flat(text) and "May 10, 2026" in text
        assert "Website hosting" in listed and "Apr 10, 2026" in listed and "$35.00" in listed
        assert RecurringInvoice.select().count() == before + 1
        plan = RecurringInvoice.get(RecurringInvoice.description == "Website hosting")
        assert (plan.client_id, plan.frequency, str(plan.next_date)) == (
            acme.id,
            "monthly",
            "2026-04-10",
        )
        row = AuditLog.get(
            (AuditLog.action == "recurring.created") & (AuditLog.subject == f"recurring:{plan.id}")
        )
        assert row.actor.startswith("admin:key:") and row.source_address == "198.51.100.7"

    def test_bad_values_are_refused_field_by_field(self, services):
        before = RecurringInvoice.select().count()
        bad = {
            "description": " ",
            "frequency": "fortnightly-ish",
            "anchor": "2026-13-01",
            "end": "soon",
            "count": "0",
            "due_days": "x",
            "lines": "Hosting=abc",
        }

        async def script(pilot):
            screen = await new_plan_for_acme(pilot)
            await fill(pilot, screen, "or after:", **bad)
            await pilot.press("ctrl+s")
            await settle(pilot)
            marked = {
                key for key in [*bad, "mode"] if screen.query_one(f"#rec-label-{key}").has_class(
                    "rec-bad"
                )
            }  # fmt: skip
            return pilot.app.screen, screen_text(pilot.app), marked

        screen, text, marked = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, NewRecurringScreen)  # not added, still editing
        assert RecurringInvoice.select().count() == before
        assert marked == set(bad)
        for said in (
            "description: a recurring invoice needs one",
            "unknown frequency",
            "anchor: expected a date",
            "ends on: expected a date",
            "or after: the count must be at least 1",
            "days to pay: expected a whole number",
            "line 'Hosting=abc'",
        ):
            assert said in flat(text), said

    def test_no_client_is_refused(self, services):
        before = RecurringInvoice.select().count()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f4", "n")
            await settle(pilot)
            await pilot.press("escape")  # the picker, closed without a client
            await settle(pilot)
            screen = pilot.app.screen
            await fill(pilot, screen, "client: choose who is billed", **HOSTING)
            await pilot.press("ctrl+s")
            await settle(pilot)
            return pilot.app.screen, screen_text(pilot.app)

        screen, text = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, NewRecurringScreen) and "choose… (ctrl+o)" in text
        assert RecurringInvoice.select().count() == before

    def test_a_past_anchor_starts_at_the_next_period(self, services):
        async def script(pilot):
            screen = await new_plan_for_acme(pilot)
            text = await fill(pilot, screen, PAST_NOTE, anchor="2026-01-05", **HOSTING)
            await pilot.press("ctrl+s")
            await settle_until(pilot, lambda: isinstance(pilot.app.screen, RecurringScreen))
            return text

        text = drive(admin_app(services), script, size=(80, 24))
        assert f"The anchor Jan 5, 2026 {PAST_NOTE}, Apr 5, 2026, not before." in flat(text)
        plan = RecurringInvoice.get(RecurringInvoice.description == "Website hosting")
        assert str(plan.next_date) == "2026-04-05"
        assert Invoice.select().where(Invoice.recurring == plan.id).count() == 0

    def test_a_past_anchor_back_filled_bills_the_past_periods_now(self, services):
        async def script(pilot):
            screen = await new_plan_for_acme(pilot)
            text = await fill(
                pilot, screen, "are billed when you add", anchor="2026-01-05", past="email",
                **HOSTING,
            )  # fmt: skip
            await pilot.press("ctrl+s")
            await settle_until(pilot, lambda: isinstance(pilot.app.screen, RecurringScreen))
            return text

        text = drive(admin_app(services), script, size=(100, 30))
        assert "emailed as past due, not charged" in flat(text)
        plan = RecurringInvoice.get(RecurringInvoice.description == "Website hosting")
        issued = list(Invoice.select().where(Invoice.recurring == plan.id))
        assert sorted(str(i.period_start) for i in issued) == [
            "2026-01-05",
            "2026-02-05",
            "2026-03-05",
        ]
        assert not any(i.autobill for i in issued)
        assert str(plan.next_date) == "2026-04-05"
        row = AuditLog.get(AuditLog.action == "recurring.backfilled")
        assert row.actor.startswith("admin:key:") and row.source_address == "198.51.100.7"

    def test_from_a_clients_recurring_tab(self, services):
        async def script(pilot):
            await settle(pilot)
            acme = Client.get(Client.name == "Acme Dental").id
            pilot.app.push_screen(ClientDetailScreen(pilot.app.ctx, acme))
            await settle(pilot)
            await pilot.press("4")
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            screen = pilot.app.screen
            await fill(pilot, screen, "Apr 10, 2026", anchor="2026-04-10", **HOSTING)
            text = screen_text(pilot.app)
            await pilot.press("ctrl+s")
            await settle_until(pilot, lambda: isinstance(pilot.app.screen, ClientDetailScreen))
            await settle_until(pilot, lambda: "Website hosting" in screen_text(pilot.app))
            return screen, text

        screen, text = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, NewRecurringScreen)
        assert "New recurring invoice for Acme Dental" in text
