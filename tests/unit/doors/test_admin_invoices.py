"""The console's Invoices section through its door (AdminInvoices): the list paged, filtered
and sorted in SQL, drafts, send, void, offline payments and charging the
default card, each audited with the owner's identity and address."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
import time_machine

from models import (
    AuditLog,
    Business,
    EmailLog,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    db,
)
from services.console.invoice_list import InvoiceQuery
from services.container import build_services
from services.demo import seed_demo
from services.doors.admin import AdminActor
from services.doors.admin_invoices import AdminInvoices
from services.invoices.invoices import InvoiceError
from services.invoices.line_fields import LineFields, parse_line_fields
from services.invoices.views import LineInput
from services.payments import ledger
from services.payments.ledger import PaymentError
from tests.fixtures.kiosk import FROZEN, TODAY
from tests.fixtures.payments import intents
from tests.fixtures.volume import add_volume

KEY = "SHA256:abcDEF0123456789abcDEF0123456789abcDEF01234"
WHO = AdminActor.ssh_key(KEY, "198.51.100.9")


@pytest.fixture
def door(pay_services):
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(pay_services, today=TODAY)
        yield pay_services.admin(WHO).invoices


def number_of(invoice_id: int) -> str:
    return Invoice.get_by_id(invoice_id).number


def test_the_list_filters_searches_and_sorts_in_sql(door: AdminInvoices):
    page = door.page()
    assert page.total == 6 and [r.number for r in page.rows][:2] == ["INV-0006", "INV-0005"]
    overdue = door.page(InvoiceQuery(filter_by="overdue"))
    assert [(r.number, r.status) for r in overdue.rows] == [("INV-0003", "overdue")]
    paid = door.page(InvoiceQuery(filter_by="paid", sort="number", descending=False))
    assert [r.number for r in paid.rows] == ["INV-0001", "INV-0002"]
    birch = door.page(InvoiceQuery(search="birch"))
    assert [r.client for r in birch.rows] == ["Birch Bakery"]
    by_number = door.page(InvoiceQuery(search="0004"))
    assert [r.number for r in by_number.rows] == ["INV-0004"]
    by_balance = door.page(InvoiceQuery(sort="balance", descending=True), limit=1)
    assert by_balance.rows[0].number == "INV-0006" and by_balance.total == 6


def test_a_page_is_filtered_and_cut_in_sql(door: AdminInvoices, caplog):
    add_volume(Business.get().id, 100, 30, TODAY)
    assert Invoice.select().count() == 3_006
    with caplog.at_level(logging.DEBUG, logger="peewee"):  # every statement, SQLite or PG
        caplog.clear()
        page = door.page(InvoiceQuery(), offset=1_500, limit=50)
        selects = [r.getMessage() for r in caplog.records if "SELECT" in r.getMessage().upper()]
    assert page.total == 3_006 and len(page.rows) == 50 and page.offset == 1_500
    # Cut by the database, never by reading every invoice (bench/admin.py times 100,000).
    assert selects and all("COUNT(" in s.upper() or "LIMIT" in s.upper() for s in selects)
    overdue = door.page(InvoiceQuery(filter_by="overdue"), limit=50)
    # 2 of every 3 volume invoices are open; of AGES, 4 of 6 are past due (plus the demo's).
    assert (
        overdue.total
        == Invoice.select().where((Invoice.status == "sent") & (Invoice.due_date < TODAY)).count()
    )
    assert all(r.status == "overdue" for r in overdue.rows)
    found = door.page(InvoiceQuery(search="Client 00042 Ltd"))
    assert found.total == 30


def audited(action: str, subject: str) -> AuditLog:
    return AuditLog.get((AuditLog.action == action) & (AuditLog.subject == subject))


def test_a_draft_is_saved_edited_and_audited_with_who_and_where(door: AdminInvoices):
    issue, due = door.new_dates()
    assert (due - issue).days == Business.get().payment_terms_days
    draft = door.save_draft(None, "client@example.com", [LineInput("Setup", 5000)], issue, due, "")
    assert draft.status == "draft" and draft.total == 5000
    row = audited("invoice.created", draft.number)
    assert (row.actor, row.source_address) == (f"admin:key:{KEY}", "198.51.100.9")
    lines = [LineInput("Setup", 5000, 2000, 825), LineInput("Travel", 1234)]
    edited = door.save_draft(draft.id, "", lines, issue, due, "thanks")
    assert (edited.subtotal, edited.tax_total, edited.total) == (11234, 825, 12059)
    assert [ln.description for ln in edited.lines] == ["Setup", "Travel"]
    assert audited("invoice.edited", draft.number).actor == f"admin:key:{KEY}"


def test_the_same_refusals_as_the_cli_and_only_drafts_are_edited(door: AdminInvoices):
    issue, due = door.new_dates()
    with pytest.raises(InvoiceError, match="nothing to pay"):
        door.save_draft(None, "client@example.com", [LineInput("Free", 0)], issue, due, "")
    with pytest.raises(InvoiceError, match="above 100%"):
        door.save_draft(
            None, "client@example.com", [LineInput("X", 1, 1000, 10001)], issue, due, ""
        )
    with pytest.raises(InvoiceError, match="before the issue date"):
        door.save_draft(None, "client@example.com", [LineInput("X", 100)], due, issue, "")
    with pytest.raises(InvoiceError, match="more than one card payment"):
        door.save_draft(None, "client@example.com", [LineInput("X", 10**8)], issue, due, "")
    with pytest.raises(InvoiceError, match="no client 'nobody@example.com'"):
        door.save_draft(None, "nobody@example.com", [LineInput("X", 100)], issue, due, "")
    sent = Invoice.get(Invoice.number == "INV-0004").id
    with pytest.raises(InvoiceError, match="only drafts are edited"):
        door.save_draft(sent, "", [LineInput("X", 100)], issue, due, "")
    assert Invoice.get_by_id(sent).total == 33250


def test_line_fields_are_checked_one_by_one():
    assert parse_line_fields(LineFields("Support", "3.5", "95", "8.25"), "USD").line == LineInput(
        "Support", 9500, 3500, 825
    )
    for fields, field, reason in (
        (LineFields("A", "x", "1", "0"), "quantity", "not a number"),
        (LineFields("A", "1.0001", "1", "0"), "quantity", "3 decimals"),
        (LineFields("A", "1", "1.001", "0"), "unit_price", "more decimals than USD allows"),
        (LineFields("A", "1", "1", "101"), "tax_rate", "above 100%"),
        (LineFields(" ", "1", "1", "0"), "description", "needs a description"),
        (LineFields("A", "0", "1", "0"), "quantity", "more than 0"),
    ):
        parsed = parse_line_fields(fields, "USD")
        assert parsed.line is None and parsed.field == field and reason in parsed.problem


def test_the_tax_field_takes_a_rate_the_settings_name():
    rates = (("VAT", 2000), ("Reduced", 550))
    for typed, bp in (("vat", 2000), (" Reduced ", 550), ("8.25", 825), ("", 0)):
        parsed = parse_line_fields(LineFields("Support", "1", "95", typed), "USD", rates)
        assert parsed.line is not None and parsed.line.tax_rate_bp == bp, typed
    wrong = parse_line_fields(LineFields("Support", "1", "95", "GST"), "USD", rates)
    assert wrong.field == "tax_rate"
    assert "not a number nor a rate (VAT 20%, Reduced 5.5%)" in wrong.problem
    assert parse_line_fields(LineFields("Support", "1", "95", "vat"), "USD").line is None


@pytest.fixture
def mailing_door(pay_config, smtp_server):
    """The door on services that mail through the real test SMTP server."""
    config = replace(pay_config, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}")
    services = build_services(config)
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(services, today=TODAY)
        yield services.admin(WHO).invoices
    services.payments.flush_receipts()
    db.close()


CODE = re.compile(r"ssh://view-([0-9a-z-]+)@")


def test_send_emails_the_code_and_pdf_then_resend_sends_a_copy(mailing_door, smtp_server):
    issue, due = mailing_door.new_dates()
    draft = mailing_door.save_draft(
        None, "client@example.com", [LineInput("Setup", 5000)], issue, due, ""
    )
    sent = mailing_door.send(draft.id)
    assert sent.sent and not sent.copy and sent.to == "client@example.com"
    assert Invoice.get_by_id(draft.id).status == "sent"
    again = mailing_door.send(draft.id)
    assert again.sent and again.copy
    # (the seed's receipts may arrive in between: pick the invoice's own emails)
    mine = [m for m in smtp_server.messages() if m["Subject"].startswith(f"Invoice {draft.number}")]
    first, second = mine
    for message in (first, second):
        assert message["To"] == "client@example.com"
        text = message.get_body(("plain",)).get_content()
        assert CODE.search(text)
        [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert pdf.get_content().startswith(b"%PDF")
    assert (
        CODE.search(first.get_body(("plain",)).get_content())[1]
        != CODE.search(second.get_body(("plain",)).get_content())[1]
    )
    row = audited("invoice.sent", draft.number)
    assert (row.actor, row.source_address) == (f"admin:key:{KEY}", "198.51.100.9")
    assert audited("invoice.resent", draft.number).actor == f"admin:key:{KEY}"


def test_an_offline_payment_gets_a_receipt_and_missing_ones_go_out_with_card_ones(
    mailing_door, smtp_server
):
    invoice = Invoice.get(Invoice.number == "INV-0004")
    recorded = mailing_door.record_offline(invoice.id, 10000, "check", "CHK 1042")
    services = mailing_door._services
    assert services.payments.receipts.flush()
    [receipt] = [m for m in smtp_server.messages() if recorded.reference in m["Subject"]]
    text = receipt.get_body(("plain",)).get_content()
    assert "we received your payment of $100.00" in text
    assert "Paid with: Check (CHK 1042)" in text and "Invoices: INV-0004" in text

    # The reconciler's pass for receipts that never went out: an offline payment's beside
    # a card payment's, in one batch (the offline one used to fail the batch).
    card = Payment.select().where(Payment.method == "card").order_by(Payment.id).first()
    EmailLog.delete().where(EmailLog.event_key.startswith("receipt:")).execute()
    before = len(smtp_server.messages())
    with time_machine.travel(FROZEN, tick=False):
        assert services.payments.receipts.send_missing() >= 2
    again = [m["Subject"] for m in smtp_server.messages()[before:]]
    assert any(recorded.reference in subject for subject in again)
    assert any(card.reference in subject for subject in again)


def test_void_revokes_the_codes_and_the_kiosk_cannot_pay_it(door: AdminInvoices, pay_services):
    number = "INV-0004"
    invoice_id = Invoice.get(Invoice.number == number).id
    code = pay_services.codes.rotate(invoice_id)
    door.void(invoice_id)
    assert Invoice.get_by_id(invoice_id).status == "void"
    row = audited("invoice.voided", number)
    assert (row.actor, row.source_address) == (f"admin:key:{KEY}", "198.51.100.9")
    desk = pay_services.kiosk("198.51.100.4").login("client@example.com", "paydesk-demo")
    card = desk.default_card()
    assert card is not None
    with pytest.raises(PaymentError, match=f"{number} is void"):
        desk.pay([invoice_id], card.id)
    assert pay_services.kiosk().open_code(code) is None
    assert door.page(InvoiceQuery(filter_by="void")).rows[0].number == number


def test_void_refuses_a_paid_invoice_and_one_with_a_payment_in_flight(door: AdminInvoices):
    paid = Invoice.get(Invoice.number == "INV-0001").id
    with pytest.raises(InvoiceError, match="has payments; refund them"):
        door.void(paid)
    open_id = Invoice.get(Invoice.number == "INV-0005").id
    client = Invoice.get_by_id(open_id).client_id
    card = PaymentMethod.get(PaymentMethod.client == client)
    ledger.open_attempt(client, [open_id], card.id, "kiosk", False, "test", "")
    with pytest.raises(InvoiceError, match="payment in progress"):
        door.void(open_id)
    assert Invoice.get_by_id(open_id).status == "sent"


def test_offline_payment_partial_then_full_through_the_ledger(door: AdminInvoices, pay_services):
    invoice_id = Invoice.get(Invoice.number == "INV-0004").id  # Acme, $332.50
    first = door.record_offline(invoice_id, 10000, "check", "Check 1042")
    assert first.reference.startswith("OFF-") and first.amount == 10000
    desk = pay_services.kiosk("198.51.100.4").login("client@example.com", "paydesk-demo")
    seen = desk.invoice(invoice_id)
    assert (seen.status, seen.amount_paid, seen.balance) == ("partial", 10000, 23250)
    assert door.page(InvoiceQuery(filter_by="partial")).rows[0].balance == 23250
    with pytest.raises(PaymentError, match=r"\$232.51 is more than the \$232.50 INV-0004 still"):
        door.record_offline(invoice_id, 23251, "bank_transfer", "TRF-9")
    door.record_offline(invoice_id, 23250, "bank_transfer", "TRF-9")
    seen = desk.invoice(invoice_id)
    assert (seen.status, seen.balance) == ("paid", 0)
    assert Invoice.get_by_id(invoice_id).paid_at is not None
    assert pay_services.invoices.paid_by_allocations(invoice_id) == 33250
    rows = Payment.select().where(Payment.method != "card").order_by(Payment.id)
    assert [(p.method, p.method_reference, p.amount) for p in rows] == [
        ("check", "Check 1042", 10000),
        ("bank_transfer", "TRF-9", 23250),
    ]
    row = audited("payment.offline", first.reference)
    assert (row.actor, row.source_address) == (f"admin:key:{KEY}", "198.51.100.9")
    with pytest.raises(PaymentError, match="already paid"):
        door.record_offline(invoice_id, 1, "check", "")


def test_offline_payment_refusals(door: AdminInvoices):
    open_id = Invoice.get(Invoice.number == "INV-0005").id
    with pytest.raises(PaymentError, match="check or a bank transfer"):
        door.record_offline(open_id, 100, "cash", "")
    with pytest.raises(PaymentError, match="more than 0"):
        door.record_offline(open_id, 0, "check", "")
    with pytest.raises(PaymentError, match="control character"):
        door.record_offline(open_id, 100, "check", "12\x1b[2J")
    client = Invoice.get_by_id(open_id).client_id
    card = PaymentMethod.get(PaymentMethod.client == client)
    ledger.open_attempt(client, [open_id], card.id, "kiosk", False, "test", "")
    with pytest.raises(PaymentError, match="card payment for INV-0005 is in progress"):
        door.record_offline(open_id, 100, "check", "")
    door_void = Invoice.get(Invoice.number == "INV-0006").id
    door.void(door_void)
    with pytest.raises(PaymentError, match="void"):
        door.record_offline(door_void, 100, "check", "")
    assert Payment.select().where(Payment.method != "card").count() == 0


def test_charge_the_default_card_now_pays_once(door: AdminInvoices, stripe_api):
    invoice_id = Invoice.get(Invoice.number == "INV-0005").id  # Acme, $100.00
    before = len(intents(stripe_api))
    plan = door.charge_plan(invoice_id)
    assert (plan.number, plan.client, plan.amount, plan.card) == (
        "INV-0005",
        "Acme Dental",
        10000,
        "Visa •••• 4242",
    )
    result = door.charge(plan)
    assert result.ok, result.message
    assert Invoice.get_by_id(invoice_id).status == "paid"
    with pytest.raises(PaymentError, match="already paid"):
        door.charge(plan)  # a second press: refused before Stripe
    assert len(intents(stripe_api)) == before + 1
    paid = PaymentAllocation.select().where(PaymentAllocation.invoice == invoice_id)
    assert [a.amount for a in paid] == [10000]
    attempt = PaymentAttempt.get(PaymentAttempt.id == result.attempt_id)
    assert (attempt.source, attempt.off_session) == ("admin", True)
    row = audited("payment.attempt", result.reference)
    assert (row.actor, row.source_address) == (f"admin:key:{KEY}", "198.51.100.9")


def test_charge_refuses_when_the_balance_changed_since_it_was_confirmed(door: AdminInvoices):
    invoice_id = Invoice.get(Invoice.number == "INV-0004").id
    plan = door.charge_plan(invoice_id)
    door.record_offline(invoice_id, 100, "check", "1")
    with pytest.raises(PaymentError, match="balance changed since you confirmed"):
        door.charge(plan)
    assert PaymentAttempt.select().where(PaymentAttempt.source == "admin").count() == 0
    with pytest.raises(PaymentError, match="no saved card"):
        birch = Invoice.get(Invoice.number == "INV-0006").id
        PaymentMethod.delete().where(
            PaymentMethod.client == Invoice.get_by_id(birch).client_id
        ).execute()
        door.charge_plan(birch)
