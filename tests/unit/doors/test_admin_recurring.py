"""The console's recurring door on the demo business: the list paged in SQL with the client's
own choice, the editor's form and preview, adding with a past anchor, saving without
overriding the client's choice unasked, and every owner action audited with who and where."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from models import AuditLog, Business, Client, Invoice, RecurringInvoice, RecurringLine
from services.billing.recurring import OverrideRefused, RecurringError
from services.console.recurring_list import RecurringQuery
from services.demo import seed_demo
from services.doors.admin import AdminActor
from services.doors.admin_recurring import AdminRecurring
from tests.fixtures.kiosk import FROZEN, TODAY

KEY = "SHA256:abcDEF0123456789abcDEF0123456789abcDEF01234"


@pytest.fixture
def door(pay_services):
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(pay_services, today=TODAY)
        yield pay_services.admin(AdminActor.ssh_key(KEY, "198.51.100.9")).recurring


def _plan(name: str) -> RecurringInvoice:
    return RecurringInvoice.get(RecurringInvoice.description == name)


def _fields(**kw: str) -> dict[str, str]:
    fields = {
        "description": "Printer care",
        "frequency": "monthly",
        "anchor": "2026-01-31",
        "lines": "Printer care=80.00\nToner=12.50x2@10%",
        "mode": "optout",
    }
    fields.update(kw)
    return fields


def test_the_list_shows_mode_and_the_clients_own_choice(door: AdminRecurring):
    business = Business.get()
    for n in range(60):
        client = Client.create(business=business, name=f"Client {n:03d}", email=f"c{n}@x.test")
        rec = RecurringInvoice.create(
            business=business, client=client, description=f"Plan {n}", anchor_date=TODAY,
            next_date=TODAY, status="paused" if n % 3 == 0 else "active",
        )  # fmt: skip
        RecurringLine.create(recurring=rec, description="x", unit_price=1000 + n)
    page = door.page(RecurringQuery(search="acme"))
    assert page.total == 2
    rows = {r.description: r for r in page.rows}
    assert rows["Offsite backup storage"].client_choice is False
    assert rows["Managed IT support plan"].amount == 25000
    assert rows["Managed IT support plan"].client_name == "Acme Dental"
    full = door.page(RecurringQuery(), 50, 50)
    assert (full.total, full.offset, len(full.rows)) == (62, 50, 12)
    assert door.page(RecurringQuery(filter_by="paused")).total == 20
    assert all(r.next_date is None for r in door.page(RecurringQuery(filter_by="paused")).rows)


def test_form_reads_fields_and_names_the_one_that_does_not(door: AdminRecurring):
    acme = _plan("Offsite backup storage").client_id
    form = door.form(acme, _fields(frequency="quarterly", count="4"))
    assert (form.frequency, form.max_count, len(form.lines)) == ("3months", 4, 2)
    with pytest.raises(RecurringError, match="^anchor: expected a date"):
        door.form(acme, _fields(anchor="31/01/2026"))
    with pytest.raises(RecurringError, match="^count: expected a whole number"):
        door.form(acme, _fields(count="four"))
    with pytest.raises(ValueError, match="DESCRIPTION=PRICE"):
        door.form(acme, _fields(lines="just words"))


def test_a_past_anchor_starts_next_period_unless_backfilled(door: AdminRecurring):
    acme = _plan("Offsite backup storage").client_id
    form = door.form(acme, _fields())
    assert door.starts_in_the_past(form)
    later = door.preview(form)
    assert [p.day for p in later[:2]] == [date(2026, 3, 31), date(2026, 4, 30)]
    assert later[0].amount == 8000 + 2750
    backfilled = door.preview(form, backfill=True)
    assert [p.day for p in backfilled[:3]] == [date(2026, 1, 31), date(2026, 2, 28), later[0].day]
    detail, numbers = door.add(form, backfill="email")
    assert len(numbers) == 2 and detail.upcoming[0] == date(2026, 3, 31)
    plain, none = door.add(door.form(acme, _fields(description="Later")))
    assert none == [] and plain.upcoming[0] == date(2026, 3, 31)
    assert not Invoice.select().where(Invoice.recurring == plain.view.id).exists()


def test_saving_asks_before_overriding_and_keeps_the_choice(door: AdminRecurring, pay_services):
    rec = _plan("Offsite backup storage")  # the client has it off
    edit = door.open(rec.id)
    assert edit.client_choice is False and "Offsite backup storage=40.00" in edit.lines_text
    fields = _fields(description="Backup (renamed)", lines=edit.lines_text, anchor="2026-03-01")
    form = door.form(rec.client_id, {**fields, "mode": "always"})
    assert door.mode_change(rec.id, "always").overrides
    with pytest.raises(OverrideRefused):
        door.save(rec.id, form)
    assert _plan("Offsite backup storage").autobill_mode == "optout"  # nothing saved
    door.save(rec.id, door.form(rec.client_id, fields))  # other fields: the choice stays
    saved = RecurringInvoice.get_by_id(rec.id)
    assert (saved.description, saved.client_autobill) == ("Backup (renamed)", False)
    sent = len(pay_services.mailer.outbox_messages())
    door.save(rec.id, form, override=True)
    assert RecurringInvoice.get_by_id(rec.id).autobill_mode == "always"
    assert len(pay_services.mailer.outbox_messages()) == sent + 1


def test_owner_actions_are_audited_with_who_and_where(door: AdminRecurring):
    rec = _plan("Managed IT support plan")
    door.pause(rec.id)
    assert door.resume(rec.id) == date(2026, 4, 1)
    door.cancel(rec.id)
    rows = list(
        AuditLog.select().where(AuditLog.subject == f"recurring:{rec.id}").order_by(AuditLog.id)
    )
    assert [r.action for r in rows] == [
        "recurring.paused",
        "recurring.resumed",
        "recurring.cancelled",
    ]
    assert {(r.actor, r.source_address) for r in rows} == {(f"admin:key:{KEY}", "198.51.100.9")}


def test_problems_names_every_field_that_does_not_read(door: AdminRecurring):
    acme = Client.get(Client.name == "Acme Dental").id
    assert door.problems(acme, _fields()) == {}
    bad = door.problems(
        None,
        _fields(
            description="", frequency="often", anchor="2026-02-30", end="", count="0",
            due_days="400", lines="Toner=x", mode="sometimes",
        ),
    )  # fmt: skip
    assert set(bad) == {
        "client", "description", "frequency", "anchor", "count", "due_days", "lines", "mode",
    }  # fmt: skip
    assert bad["anchor"] == "anchor: expected a date YYYY-MM-DD, not '2026-02-30'"
    assert bad["due_days"].startswith("days to pay: 400 days to pay is more than a year")
    late = door.problems(acme, _fields(anchor="2026-03-01", end="2026-02-01", lines=""))
    assert late == {
        "end": "ends on: the end date is before the anchor date",
        "lines": "lines: an invoice needs at least one line",
    }


def test_adding_is_audited_with_who_and_where(door: AdminRecurring):
    acme = Client.get(Client.name == "Acme Dental").id
    detail, _ = door.add(door.form(acme, _fields(anchor="2026-04-30")))
    row = AuditLog.get(
        (AuditLog.action == "recurring.created")
        & (AuditLog.subject == f"recurring:{detail.view.id}")
    )
    assert row.actor == f"admin:key:{KEY}" and row.source_address == "198.51.100.9"
