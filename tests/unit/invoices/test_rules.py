"""Input the business would never mean is refused with one line: at the service, for every door."""

from __future__ import annotations

from datetime import date

import pytest

from models import Business, Client, Invoice, RecurringInvoice
from services.billing.recurring import RecurringError, RecurringService
from services.invoices.invoices import InvoiceError, InvoiceService
from services.invoices.rules import lines_problem
from services.invoices.views import LineInput
from services.money import card_maximum

ISSUE = date(2026, 12, 2)


@pytest.fixture
def client_id(database):
    business = Business.create(name="B", billing_email="b@example.com", currency="USD")
    return Client.create(business=business, name="C", email="c@example.com").id


REFUSED = [
    ([LineInput("Nothing", 0)], "comes to $0.00: there is nothing to pay"),
    ([LineInput("Free", 0), LineInput("Also free", 0, 5000)], "nothing to pay"),
    ([LineInput("Work", 1000, tax_rate_bp=15_000)], "a tax rate of 150% is above 100%"),
    ([LineInput("Work", 1000, tax_rate_bp=-1)], "tax rate cannot be negative"),
    ([LineInput("Work", 1000, quantity_milli=0)], "quantity must be more than 0"),
    ([LineInput("Work", -1000)], "price cannot be negative"),
    ([LineInput(" ", 1000)], "a line needs a description"),
    ([], "at least one line"),
    # These overflowed SQLite's 64-bit integers (OverflowError) before.
    ([LineInput("Cables", 100, quantity_milli=10**23)], "quantity of 100000000000000000000 is"),
    ([LineInput("Cable", 10**21)], "comes to $10,000,000,000,000,000,000.00, more than one card"),
    ([LineInput("Server", 100_000_000)], "$1,000,000.00, more than one card payment can take"),
    (  # under the maximum before tax, over it after
        [LineInput("Server", 99_000_000, tax_rate_bp=825)],
        "($999,999.99); split it into several invoices",
    ),
]


@pytest.mark.parametrize(("lines", "reason"), REFUSED)
def test_invoice_create_refuses_with_the_reason(client_id, lines, reason):
    with pytest.raises(InvoiceError) as exc:
        InvoiceService().create(client_id, lines, issue_date=ISSUE)
    assert reason in str(exc.value) and "\n" not in str(exc.value)
    assert Invoice.select().count() == 0


@pytest.mark.parametrize(("lines", "reason"), REFUSED)
def test_recurring_add_refuses_the_same_lines(client_id, lines, reason):
    with pytest.raises(RecurringError) as exc:
        RecurringService().add(client_id, "Plan", "monthly", ISSUE, lines)
    assert reason in str(exc.value)
    assert RecurringInvoice.select().count() == 0


def test_the_card_maximum_itself_and_a_zero_price_line_beside_a_paid_one_are_fine(client_id):
    most = card_maximum("USD")
    assert most == 99_999_999
    big = InvoiceService().create(client_id, [LineInput("Fit-out", most)], issue_date=ISSUE)
    assert big.total == most
    mixed = [LineInput("Setup (free)", 0), LineInput("Support", 9500, 1000, 10_000)]
    assert InvoiceService().create(client_id, mixed, issue_date=ISSUE).total == 19_000


def test_the_maximum_is_per_currency():
    assert card_maximum("idr") == 999_999_999_999
    assert lines_problem([LineInput("Rp", 100_000_000_000)], "IDR") == ""
    assert "more than one card payment" in lines_problem([LineInput("$", 100_000_000_000)], "USD")


@pytest.mark.parametrize(
    ("due", "reason"),
    [
        (date(2026, 12, 1), "the due date is before the issue date"),
        (date(2028, 1, 1), "395 days to pay is more than a year"),
    ],
)
def test_invoice_due_dates_that_make_no_sense(client_id, due, reason):
    with pytest.raises(InvoiceError, match=reason):
        InvoiceService().create(client_id, [LineInput("W", 100)], issue_date=ISSUE, due_date=due)


@pytest.mark.parametrize(
    ("days", "reason"),
    [(-5, "the days to pay cannot be negative (got -5)"), (400, "400 days to pay is more")],
)
def test_recurring_due_days_that_make_no_sense(client_id, days, reason):
    with pytest.raises(RecurringError) as exc:
        RecurringService().add(
            client_id, "Plan", "monthly", ISSUE, [LineInput("W", 100)], due_days=days
        )
    assert reason in str(exc.value)
    assert RecurringInvoice.select().count() == 0


def test_due_on_the_issue_date_is_fine(client_id):
    service = RecurringService()
    assert service.add(client_id, "Plan", "monthly", ISSUE, [LineInput("W", 100)], due_days=0)
