"""Every edit's audit row carries the fields it changed, and only those, as
{"changes": {"field": [before, after]}}: drafts, recurring invoices, the auto-bill mode and the
client's own choice, voids, offline payments and refunds (real database, real sandbox)."""

from __future__ import annotations

import json
from datetime import date

from models import AuditLog, Payment
from services.audit import before_after
from services.invoices.views import LineInput
from services.payments.offline import record_offline

LINES = [LineInput("Support plan", 25_000, 1000, 825), LineInput("Backup", 1_999, 2500, 0)]


def changes_of(action: str) -> dict:
    row = AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id.desc()).get()
    return json.loads(row.detail)["changes"]


def test_before_after_keeps_only_what_changed():
    was = {"name": "Acme", "email": "a@acme.example", "archived": False}
    now = {"name": "Acme Dental", "email": "a@acme.example", "archived": True}
    assert before_after(was, now) == {"name": ["Acme", "Acme Dental"], "archived": [False, True]}
    assert before_after(was, {"name": "Acme"}) == {}
    assert before_after({}, {"notes": "new"}) == {"notes": [None, "new"]}


def test_a_draft_edit_names_the_fields_it_changed_before_and_after(shop):
    svc = shop.services
    draft = svc.invoices.create(
        shop.client_id, [LineInput("IT support", 10_000)], date(2026, 1, 5), status="draft"
    )
    svc.invoices.update_draft(
        draft.id,
        [LineInput("IT support", 12_500)],
        date(2026, 1, 5),
        date(2026, 2, 15),
        actor="admin:local:me",
    )
    changed = changes_of("invoice.edited")
    assert set(changed) == {"due_date", "subtotal", "total", "lines"}  # not the issue date
    assert changed["total"] == [10_000, 12_500]
    assert changed["due_date"] == [str(draft.due_date), "2026-02-15"]
    assert changed["lines"] == [
        [["IT support", 1000, 10_000, 0]],
        [["IT support", 1000, 12_500, 0]],
    ]


def test_a_recurring_edit_names_the_fields_it_changed_before_and_after(shop):
    recurring = shop.services.recurring
    plan = recurring.add(
        shop.client_id, "Managed IT", "monthly", date(2026, 1, 31), LINES, autobill_mode="optout"
    ).view
    recurring.update(
        plan.id,
        "Managed IT support",
        "monthly",
        date(2026, 1, 31),
        [LINES[0]],
        due_days=30,
        actor="admin:local:me",
        today=date(2026, 1, 10),
    )
    changed = changes_of("recurring.updated")
    assert set(changed) == {"description", "due_days", "lines"}
    assert changed["description"] == ["Managed IT", "Managed IT support"]
    assert changed["due_days"] == [14, 30]
    assert changed["lines"] == [
        [["Support plan", 1000, 25_000, 825], ["Backup", 2500, 1_999, 0]],
        [["Support plan", 1000, 25_000, 825]],
    ]


def test_auto_bill_changes_carry_the_mode_and_the_clients_choice_before_and_after(shop):
    recurring = shop.services.recurring
    plan = recurring.add(
        shop.client_id, "Managed IT", "monthly", date(2026, 1, 31), LINES, autobill_mode="optout"
    ).view
    recurring.set_client_autobill(shop.client_id, plan.id, False, f"client:{shop.client_id}")
    assert changes_of("recurring.autobill_disabled") == {"client_autobill": [True, False]}
    recurring.set_mode(plan.id, "optin", actor="admin:local:me")
    assert changes_of("recurring.autobill_mode") == {"autobill_mode": ["optout", "optin"]}


def test_a_void_and_an_offline_payment_carry_the_invoice_before_and_after(shop):
    svc = shop.services
    voided = shop.invoice(4_000)
    svc.invoices.void(voided.id, actor="admin:local:me")
    assert changes_of("invoice.voided") == {"status": ["sent", "void"]}
    paid = shop.invoice(6_000)
    record_offline(paid.id, 2_500, "check", "CHK 1001", "admin:local:me")
    assert changes_of("payment.offline") == {
        "amount_paid": [0, 2_500],
        "status": ["sent", "partial"],
    }


def test_a_refund_is_audited_on_its_payment_with_the_refunded_amount_before_and_after(shop):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(6_000)
    svc.payments.pay(shop.client_id, [invoice.id], card.id)
    payment = Payment.get()
    svc.payments.refund(payment.id, 2_000, actor="admin:local:me")
    svc.payments.refund(payment.id, 1_000, actor="admin:local:me")
    rows = AuditLog.select().where(AuditLog.action == "refund.succeeded").order_by(AuditLog.id)
    assert [r.subject for r in rows] == [payment.reference] * 2  # found with the client's rows
    assert [json.loads(r.detail)["changes"] for r in rows] == [
        {"amount_refunded": [0, 2_000]},
        {"amount_refunded": [2_000, 3_000]},
    ]
