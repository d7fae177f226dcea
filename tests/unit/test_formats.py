"""One way to write a date ("Dec 2, 2026") and one way to write a card ("Visa •••• 4242"),
each from one function, in the kiosk, emails, the PDF and generated invoice notes."""

from __future__ import annotations

import io
from datetime import date, datetime

from pypdf import PdfReader

from models import Business, Client
from screens.widgets.formats import Formats
from screens.widgets.pay_now import card_option
from services.dates import format_day, format_moment
from services.emails.billing import AutobillNotice, Door, invoice_subject, new_invoice_email
from services.emails.receipts import ReceiptFacts, receipt_email
from services.invoices.invoices import InvoiceService
from services.invoices.pdf import render_invoice_pdf
from services.invoices.views import LineInput
from services.payments.cards import CardView, card_expiry, card_label

DUE = date(2026, 12, 2)
OTHER_WAYS = ("2026-12-02", "02 Dec 2026", "December 2, 2026", "12/2/26", "2 Dec 2026")


def test_a_day_and_a_moment():
    assert format_day(DUE) == "Dec 2, 2026"
    assert format_day(DUE, "de_DE") == "02.12.2026"
    assert format_moment(datetime(2026, 12, 3, 4, 30), "America/New_York") == (
        "Dec 2, 2026, 11:30 PM EST"
    )
    assert format_moment(datetime(2026, 12, 3, 4, 30)) == "Dec 3, 2026, 4:30 AM UTC"


def test_an_invoice_date_reads_the_same_in_the_kiosk_the_email_and_the_pdf(database):
    business = Business.create(name="B", billing_email="b@example.com")
    client = Client.create(business=business, name="C", email="c@example.com")
    detail = InvoiceService().create(
        client.id, [LineInput("Work", 9500)], issue_date=date(2026, 11, 18), due_date=DUE
    )
    pdf = render_invoice_pdf(detail, status_line="Automatic payment: Visa •••• 4242.")
    notice = AutobillNotice(DUE, card_label("visa", "4242"))
    email = new_invoice_email(detail, "CODE", Door("billing.example"), pdf, notice)
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    places = {
        "kiosk": Formats(locale=detail.locale).date(detail.due_date),
        "subject": invoice_subject(detail),
        "email text": email.text,
        "email html": email.html,
        "pdf": page,
    }
    for where, text in places.items():
        assert "Dec 2, 2026" in text, where
        assert not [way for way in OTHER_WAYS if way in text], where
    assert "Nov 18, 2026" in page
    assert "Visa ···· 4242" in page  # the mask, in the closest dot the PDF's font has
    assert "Visa •••• 4242 on Dec 2, 2026" in email.text


def test_a_card_reads_the_same_in_the_pay_now_list_the_cards_screen_and_a_receipt():
    card = CardView(1, "pm_1", "visa", "4242", 3, 2029, True, card_label("visa", "4242"))
    assert card.label == "Visa •••• 4242"
    assert card.expiry == card_expiry(3, 2029) == "exp 03/29"
    assert str(card_option(card)) == "Visa •••• 4242  exp 03/29 — default"
    facts = ReceiptFacts(
        "Acme", "B", "en_US", "PAY-000001", 100, "USD", card.label, datetime(2026, 2, 14, 9, 5),
        ("INV-0001",), timezone="America/New_York",
    )  # fmt: skip
    text = receipt_email(facts)[1]
    assert "Paid with: Visa •••• 4242\n" in text
    assert "Date: Feb 14, 2026, 4:05 AM EST\n" in text
