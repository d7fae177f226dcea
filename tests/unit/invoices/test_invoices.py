"""Invoices: numbering, totals with one rounding per line, balances, owed-first paging."""

from datetime import date, timedelta

import pytest

from models import Business, Client, Invoice
from services.invoices.invoices import InvoiceError, InvoiceService
from services.invoices.views import LineInput

TODAY = date(2026, 11, 25)


@pytest.fixture
def client_id(database):
    business = Business.create(name="B", billing_email="b@example.com", currency="USD")
    return Client.create(business=business, name="C", email="c@example.com").id


def make(service, client_id, price, due_in, issue_ago=10, **kw):
    return service.create(
        client_id,
        [LineInput("Work", price, **kw)],
        issue_date=TODAY - timedelta(days=issue_ago),
        due_date=TODAY + timedelta(days=due_in),
    )


def test_numbers_are_sequential_and_unique_per_business(client_id):
    service = InvoiceService()
    numbers = [make(service, client_id, 100, 5).number for _ in range(3)]
    assert numbers == ["INV-0001", "INV-0002", "INV-0003"]


def test_totals_round_half_up_once_per_line(client_id):
    service = InvoiceService()
    inv = service.create(
        client_id,
        [
            LineInput("Hours", 9500, quantity_milli=3333, tax_rate_bp=825),  # 316.635 → 31664
            LineInput("Part", 999, tax_rate_bp=825),  # tax 82.4175 → 82
        ],
        issue_date=TODAY,
    )
    assert [line.amount for line in inv.lines] == [31664, 999]
    assert [line.tax for line in inv.lines] == [2612, 82]
    assert inv.subtotal == 32663
    assert inv.total == 32663 + 2694
    assert inv.balance == inv.total
    assert inv.due_date == TODAY + timedelta(days=14)


def test_owed_summary_counts_overdue_and_oldest_due(client_id):
    service = InvoiceService()
    make(service, client_id, 1000, -3)
    make(service, client_id, 2000, 7)
    paid = make(service, client_id, 5000, -20, issue_ago=30)
    Invoice.update(status="paid", amount_paid=5000).where(Invoice.id == paid.id).execute()
    owed = service.owed(client_id, today=TODAY)
    assert (owed.total, owed.count, owed.overdue_count) == (3000, 2, 1)
    assert owed.oldest_due == TODAY - timedelta(days=3)


def test_list_puts_owed_first_and_pages_across_the_boundary(client_id):
    service = InvoiceService()
    for n in range(3):
        inv = make(service, client_id, 100, -n)
        Invoice.update(status="paid", amount_paid=100).where(Invoice.id == inv.id).execute()
    owed = [make(service, client_id, 100, due) for due in (9, -4, 2)]
    everything = service.list_for_client(client_id, limit=100, today=TODAY)
    assert [i.number for i in everything[:3]] == [owed[1].number, owed[2].number, owed[0].number]
    assert all(i.payable for i in everything[:3]) and not any(i.payable for i in everything[3:])
    assert everything[0].overdue and not everything[1].overdue
    pages = [service.list_for_client(client_id, offset=o, limit=2) for o in (0, 2, 4)]
    assert [i.id for page in pages for i in page] == [i.id for i in everything]
    assert service.count_for_client(client_id) == 6


def test_void_refuses_paid_invoices_and_revokes_codes(client_id):
    service = InvoiceService()
    inv = make(service, client_id, 100, 5)
    service.void(inv.id)
    assert service.get(inv.id).status == "void"
    assert not service.get(inv.id).payable
    other = make(service, client_id, 100, 5)
    Invoice.update(amount_paid=50, status="partial").where(Invoice.id == other.id).execute()
    with pytest.raises(InvoiceError, match="refund"):
        service.void(other.id)


def test_bad_lines_are_refused_by_name(client_id):
    with pytest.raises(InvoiceError, match="'Oops'"):
        InvoiceService().create(client_id, [LineInput("Oops", -1)], issue_date=TODAY)
    with pytest.raises(InvoiceError, match="at least one line"):
        InvoiceService().create(client_id, [], issue_date=TODAY)


@pytest.mark.parametrize("status", ["created", "submitted", "unknown", "requires_action"])
def test_void_refuses_an_invoice_with_a_payment_in_flight(client_id, status):
    """A charge that may still succeed must not land on a void invoice (paid but void)."""
    from models import PaymentAttempt, PaymentMethod
    from services.payments import ledger as payment_ledger

    service = InvoiceService()
    inv = make(service, client_id, 100, 5)
    card = PaymentMethod.create(
        client=client_id, stripe_pm_id="pm_test", last4="4242", exp_month=1, exp_year=2030
    )
    opened = payment_ledger.open_attempt(client_id, [inv.id], card.id, "kiosk", False, "t", "")
    PaymentAttempt.update(status=status).where(PaymentAttempt.id == opened.id).execute()
    with pytest.raises(InvoiceError, match="in progress"):
        service.void(inv.id)
    assert service.get(inv.id).status == "sent"
    PaymentAttempt.update(status="failed").where(PaymentAttempt.id == opened.id).execute()
    service.void(inv.id)
    assert service.get(inv.id).status == "void"


def test_business_of_client_tells_currency_and_locale(client_id):
    profile = InvoiceService().business_of_client(client_id)
    assert (profile.name, profile.currency, profile.locale) == ("B", "USD", "en_US")
