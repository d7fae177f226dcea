"""The console's door on the demo business plus generated volume: receivables by age,
what needs attention, the next run, the client list paged in SQL, and who is audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from models import (
    AuditLog,
    Client,
    EmailLog,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    PaymentMethod,
)
from models.states import ChargeState, InvoiceStatus
from services.console.client_list import ClientQuery
from services.demo import seed_demo
from services.doors.admin import AdminActor, AdminDoor
from services.invoices.views import LineInput
from services.payments import ledger
from tests.fixtures.kiosk import FROZEN, TODAY
from tests.fixtures.volume import add_volume

KEY = "SHA256:abcDEF0123456789abcDEF0123456789abcDEF01234"


@pytest.fixture
def door(pay_services):
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(pay_services, today=TODAY)
        yield pay_services.admin(AdminActor.ssh_key(KEY, "198.51.100.9"))


def client_id(name: str) -> int:
    return Client.get(Client.name == name).id


def invoice_due(services, name: str, days_overdue: int, amount: int = 1000) -> int:
    return services.invoices.create(
        client_id(name),
        [LineInput("Aged", amount)],
        issue_date=TODAY - timedelta(days=days_overdue + 14),
        due_date=TODAY - timedelta(days=days_overdue),
    ).id


def test_receivables_by_age_as_of_the_business_today(door: AdminDoor, pay_services):
    for days, amount in ((30, 100), (31, 200), (60, 400), (61, 800), (90, 1600), (91, 3200)):
        invoice_due(pay_services, "Birch Bakery", days, amount)
    got = door.receivables()
    assert got.as_of == TODAY
    buckets = {b.label: (b.amount, b.count) for b in got.buckets}
    # Demo: Acme's call-out is 16 days overdue; two Acme invoices and Birch's are not due yet.
    assert buckets == {
        "current": (33250 + 10000 + 45000, 3),
        "1–30": (28824 + 100, 2),
        "31–60": (200 + 400, 2),
        "61–90": (800 + 1600, 2),
        "90+": (3200, 1),
    }
    assert got.owed == 117074 + 6300 and got.open_count == 10
    assert got.overdue == 28824 + 6300 and got.overdue_count == 7


def test_payments_received_this_month(door: AdminDoor):
    got = door.received()
    assert (got.since, got.amount, got.count) == (date(2026, 3, 1), 30000 + 12500, 2)


def test_attention_lists_each_kind_with_its_client(door: AdminDoor, pay_services):
    acme = client_id("Acme Dental")
    overdue = Invoice.get(
        (Invoice.client == acme) & (Invoice.due_date < TODAY) & (Invoice.status == "sent")
    )
    InvoiceBilling.create(
        invoice=overdue, charge_state=ChargeState.DECLINED, last_message="Your card was declined."
    )
    PaymentMethod.update(exp_month=3, exp_year=2026).where(PaymentMethod.client == acme).execute()
    got = door.attention()
    kinds = {(i.kind, i.client_id, i.subject) for i in got.items}
    assert ("charge_failed", acme, overdue.number) in kinds
    assert ("autobill_off", acme, "Offsite backup storage") in kinds
    # The card ends in March; the support plan's next charge is due in April.
    assert ("card_expiring", acme, "Managed IT support plan") in kinds
    assert got.counts["charge_failed"] == 1 and got.counts["card_expiring"] == 1
    # Dates and the card as the kiosk writes them (services/dates, services/payments/cards).
    expiring = next(i for i in got.items if i.kind == "card_expiring")
    assert expiring.reason == "Visa •••• 4242 exp 03/26, next charge Apr 15, 2026"
    card = PaymentMethod.get(PaymentMethod.client == acme)
    opened = ledger.open_attempt(acme, [overdue.id], card.id, "kiosk", False, "t", "")
    PaymentAttempt.update(status="unknown", updated_at=datetime(2026, 3, 16, 15, 0)).where(
        PaymentAttempt.id == opened.id
    ).execute()
    unknown = next(i for i in door.attention().items if i.kind == "unknown")
    assert unknown.reason == "unknown since Mar 16, 2026, 11:00 AM EDT"

    # A paid invoice's old decline needs nothing any more.
    Invoice.update(status=InvoiceStatus.PAID, amount_paid=Invoice.total).where(
        Invoice.id == overdue.id
    ).execute()
    assert door.attention().counts["charge_failed"] == 0


def test_next_run_is_what_the_phases_plan_with_the_cards(door: AdminDoor):
    got = door.next_run()
    # Nothing is due today; the two series issue on April 1; the enabled one is charged on
    # its due date, with the client's default card; the disabled one is not auto-billed.
    assert got.day == date(2026, 4, 1)
    assert (got.generate, got.generate_amount) == (2, 25000 + 4000)
    assert got.charge == 0
    assert [(i.client, i.what, i.amount, i.card, i.charge_on) for i in got.items] == [
        ("Acme Dental", "new: Managed IT support plan", 25000, "Visa •••• 4242", date(2026, 4, 15)),
        ("Acme Dental", "new: Offsite backup storage", 4000, "", None),
    ]


def test_next_run_charges_what_falls_due(door: AdminDoor):
    acme = client_id("Acme Dental")
    overdue = Invoice.get(
        (Invoice.client == acme) & (Invoice.due_date < TODAY) & (Invoice.status == "sent")
    )
    InvoiceBilling.create(invoice=overdue, charge_state=ChargeState.RETRY, next_try_on=TODAY)
    got = door.next_run()
    assert got.day == TODAY and got.generate == 0
    assert (got.charge, got.charge_amount) == (1, 28824)
    assert [(i.what, i.card, i.charge) for i in got.items] == [
        (overdue.number, "Visa •••• 4242", True)
    ]


def test_client_list_pages_sorts_filters_and_searches_in_sql(door: AdminDoor):
    business = door.business().id
    add_volume(business, 120, 3, TODAY)
    Client.create(business=business, name="Evil [/b] Ltd", email="evil@example.com")
    page = door.clients(offset=50, limit=50)
    assert (page.total, page.first, page.last, len(page.rows)) == (123, 51, 100, 50)
    assert door.clients(ClientQuery(search="ACME")).rows[0].name == "Acme Dental"
    assert (
        door.clients(ClientQuery(search="%")).total == 0
    )  # a wildcard is a character, not "anything"
    assert [r.name for r in door.clients(ClientQuery(search="[/b]")).rows] == ["Evil [/b] Ltd"]
    top = door.clients(ClientQuery(sort="owed", descending=True), limit=1).rows[0]
    assert top.name == "Acme Dental" and top.owed == 72074 and top.overdue == 28824
    acme = door.clients(ClientQuery(search="acme")).rows[0]
    assert acme.autobill == "on" and acme.has_card
    birch = door.clients(ClientQuery(search="birch")).rows[0]
    assert birch.autobill == "—" and not birch.has_card and birch.overdue == 0
    overdue = door.clients(ClientQuery(filter_by="overdue"))
    assert overdue.total == 1 + 120  # Acme, and every generated client has an overdue invoice
    owing = door.clients(ClientQuery(filter_by="owing", search="birch"))
    assert owing.total == 1


def test_client_card_and_audit_trail(door: AdminDoor, pay_services):
    acme = client_id("Acme Dental")
    plan = next(r for r in pay_services.recurring.list_for_client(acme) if r.autobill_enabled)
    pay_services.recurring.set_client_autobill(acme, plan.id, False, "contact:2")
    card = door.client(acme)
    assert card.client.name == "Acme Dental" and card.owed == 72074
    assert [c.email for c in card.contacts] == ["client@example.com"]
    assert card.invoice_count == 5 and len(card.cards) == 1
    change = card.autobill_changes[plan.id]
    assert not change.enabled and change.actor == "contact:2"
    payments, count = door.client_payments(acme, 0, 10)
    assert count == 2 and payments[0].card == "Visa •••• 4242"
    trail, total = door.client_audit(acme, 0, 5)
    assert total > 5 and len(trail) == 5
    assert trail[0].action == "recurring.autobill_disabled"
    assert all(e.subject != f"client:{client_id('Birch Bakery')}" for e in trail)


def test_the_owner_is_audited_with_where_they_came_from(door: AdminDoor):
    door.opened()
    row = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (row.actor, row.action, row.source_address) == (
        f"admin:key:{KEY}",
        "admin.opened",
        "198.51.100.9",
    )
    local = AdminActor.local("alice")
    assert (local.actor, local.address, local.where) == (
        "admin:local:alice",
        "local",
        "local console (alice)",
    )


def test_a_failed_email_says_when_it_is_retried_or_that_the_outbox_resends_it(door: AdminDoor):
    retrying = EmailLog.create(
        event_key="t:1", to="a@example.com", subject="Invoice INV-0001", status="failed",
        tries=2, last_error="451 try later", next_at=datetime(2026, 3, 16, 15, 30),
    )  # fmt: skip
    EmailLog.create(
        event_key="t:2", to="b@example.com", subject="Invoice INV-0002", status="failed",
        tries=5, last_error="550 no such user",
    )  # fmt: skip
    items = {i.subject: i for i in door.attention().items if i.kind == "email_failed"}
    assert items[retrying.subject].next_step == (
        "retried by `paydesk run` after Mar 16, 2026, 11:30 AM EDT,"
        " or resend it from the Outbox (F8)"
    )
    assert items["Invoice INV-0002"].next_step.startswith("tried too often: resend it from")
