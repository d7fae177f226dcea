"""An invoice's discount: a percentage or an amount off the subtotal before tax, spread over
the lines (shares rounded half-up, adding up exactly), refused when negative or above the
subtotal; stored, shown on every rendering, and typed on the command line."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from rich.console import Console

from models import Business, Client, Invoice, InvoiceLine
from screens.widgets.formats import Formats
from screens.widgets.invoice_document import render_invoice
from services.emails.billing import Door, new_invoice_email
from services.invoices.discount import (
    AMOUNT,
    NO_DISCOUNT,
    PERCENT,
    Discount,
    discount_problem,
    discount_text,
    parse_discount,
    spread,
)
from services.invoices.invoices import InvoiceError, InvoiceService
from services.invoices.pdf import render_invoice_pdf
from services.invoices.rules import lines_problem
from services.invoices.views import LineInput, priced, sums_of, total_rows

TODAY = date(2026, 11, 25)
LINES = [LineInput("Support", 10_000, tax_rate_bp=1000), LineInput("Cable", 5000)]


def test_the_docstring_example_tax_on_what_is_left_of_each_line():
    rows = priced(LINES, Discount(AMOUNT, 1500))
    assert [(r.amount, r.discount, r.tax) for r in rows] == [(10_000, 1000, 900), (5000, 500, 0)]
    assert sums_of(rows) == {
        "subtotal": 15_000,
        "discount_total": 1500,
        "tax_total": 900,
        "total": 14_400,
    }


def test_a_percentage_is_rounded_once_on_the_subtotal():
    assert Discount(PERCENT, 1000).off(12_345) == 1235  # 1234.5 → 1235, half-up
    rows = priced([LineInput("A", 12_345, tax_rate_bp=825)], Discount(PERCENT, 1000))
    assert (rows[0].discount, rows[0].tax) == (1235, round((12_345 - 1235) * 0.0825))


def test_shares_that_round_up_too_far_come_off_the_largest_line():
    # three equal lines, 2 cents off: each exact share is 0.67 → rounds to 1, one too many
    assert spread(2, [100, 100, 100]) == [0, 1, 1]
    assert spread(1, [1, 1]) == [0, 1] or spread(1, [1, 1]) == [1, 0]
    assert spread(0, [5, 5]) == [0, 0] and spread(3, [0, 0]) == [0, 0]


@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=12),
    st.floats(0, 1),
)
def test_shares_add_up_and_never_leave_a_line_below_zero(amounts, fraction):
    discount = int(sum(amounts) * fraction)
    shares = spread(discount, amounts)
    assert sum(shares) == discount
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))


@pytest.mark.parametrize(
    ("text", "discount", "problem"),
    [
        ("", NO_DISCOUNT, ""),
        ("10%", Discount(PERCENT, 1000), ""),
        (" 12.5 % ", Discount(PERCENT, 1250), ""),
        ("25", Discount(AMOUNT, 2500), ""),
        ("1,250.00", Discount(AMOUNT, 125_000), ""),
        ("-5", None, "the discount cannot be negative"),
        ("-5%", None, "the discount cannot be negative"),
        ("ten", None, "the discount is not a number (10% or an amount like 25.00)"),
        ("1.234", None, "the discount: '1.234' has more decimals than USD allows"),
        ("1.255%", None, "a discount rate takes at most 2 decimals"),
    ],
)
def test_parse_discount(text, discount, problem):
    assert parse_discount(text, "USD") == (discount, problem)
    if discount is not None:
        assert parse_discount(discount_text(discount, "USD"), "USD")[0] == discount


def test_refused_above_the_subtotal_or_100_percent_and_at_nothing_to_pay():
    assert discount_problem(Discount(AMOUNT, 15_001), 15_000, "USD") == (
        "a discount of $150.01 is more than the subtotal ($150.00)"
    )
    assert discount_problem(Discount(PERCENT, 10_001), 15_000, "USD") == (
        "a discount of 100.01% is above 100%"
    )
    assert discount_problem(Discount(AMOUNT, 15_000), 15_000, "USD") == ""
    assert lines_problem(LINES, "USD", Discount(AMOUNT, 15_000)) == (
        "the invoice comes to $0.00: there is nothing to pay"
    )
    assert lines_problem(LINES, "USD", Discount(AMOUNT, 20_000)).startswith("a discount of")


@pytest.fixture
def client_id(database):
    business = Business.create(name="B", billing_email="b@example.com", currency="USD")
    return Client.create(business=business, name="C", email="c@example.com").id


def test_an_invoice_stores_its_discount_and_shows_it_everywhere(client_id):
    service = InvoiceService()
    inv = service.create(client_id, LINES, TODAY, discount=Discount(PERCENT, 1000))
    row = Invoice.get_by_id(inv.id)
    assert (row.discount_kind, row.discount_value, row.discount_total) == (PERCENT, 1000, 1500)
    assert (row.subtotal, row.tax_total, row.total) == (15_000, 900, 14_400)
    assert [ln.discount for ln in InvoiceLine.select().order_by(InvoiceLine.position)] == [
        1000,
        500,
    ]
    assert inv.balance == 14_400 and inv.discount == Discount(PERCENT, 1000)
    assert total_rows(inv) == [
        ("Subtotal", 15_000),
        ("Discount (10%)", -1500),
        ("Tax", 900),
        ("Total", 14_400),
    ]
    pdf = PdfReader(io.BytesIO(render_invoice_pdf(inv))).pages[0].extract_text()
    assert "Discount (10%)" in pdf and "$144.00" in pdf
    email = new_invoice_email(inv, "CODE", Door("billing.example.com"), b"%PDF")
    assert "Amount due: $144.00\n  Includes a discount of $15.00 (10%)" in email.text
    assert "Includes a discount of $15.00 (10%)" in email.html
    kiosk = Console(width=80, record=True)
    kiosk.print(render_invoice(inv, Formats()))
    assert "Discount (10%) -$15.00" in kiosk.export_text()
    plain = service.create(client_id, LINES, TODAY)
    assert [label for label, _ in total_rows(plain)] == ["Subtotal", "Tax", "Total"]


def test_a_draft_edit_changes_the_discount_and_a_bad_one_is_refused(client_id):
    service = InvoiceService()
    draft = service.create(client_id, LINES, TODAY, status="draft")
    with pytest.raises(InvoiceError, match="more than the subtotal"):
        service.update_draft(draft.id, LINES, TODAY, TODAY, discount=Discount(AMOUNT, 20_000))
    with pytest.raises(InvoiceError, match="cannot be negative"):
        service.create(client_id, LINES, TODAY, discount=Discount(AMOUNT, -1))
    assert Invoice.get_by_id(draft.id).total == 16_000
    edited = service.update_draft(draft.id, LINES, TODAY, TODAY, discount=Discount(AMOUNT, 1500))
    assert (edited.discount_total, edited.total) == (1500, 14_400)
    again = service.update_draft(draft.id, LINES, TODAY, TODAY)
    assert (again.discount, again.discount_total, again.total) == (NO_DISCOUNT, 0, 16_000)
