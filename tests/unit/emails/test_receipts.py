"""The receipt email's text."""

from __future__ import annotations

from datetime import datetime

from services.emails.receipts import ReceiptFacts, receipt_email


def test_receipt_names_amount_reference_card_date_and_invoices():
    facts = ReceiptFacts(
        client_name="Acme Dental",
        business_name="Northwind IT",
        locale="en_US",
        reference="PAY-000042",
        amount=35_063,
        currency="USD",
        card_label="Visa •••• 4242",
        paid_at=datetime(2026, 2, 14, 9, 5, 59),
        invoice_numbers=("INV-0007", "INV-0009"),
    )

    subject, text = receipt_email(facts)

    assert subject == "Receipt PAY-000042 from Northwind IT"
    assert text == (
        "Hello Acme Dental,\n\n"
        "Thank you: we received your payment of $350.63.\n\n"
        "Reference: PAY-000042\n"
        "Paid with: Visa •••• 4242\n"
        "Date: Feb 14, 2026, 9:05 AM UTC\n"
        "Invoices: INV-0007, INV-0009\n\n"
        "Northwind IT\n"
    )
