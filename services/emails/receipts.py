"""The receipt email a client gets for a payment (plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.money import format_money


@dataclass(frozen=True)
class ReceiptFacts:
    """What a receipt says: who paid whom, how much, with which card, for which invoices."""

    client_name: str
    business_name: str
    locale: str
    reference: str
    amount: int
    currency: str
    card_label: str
    paid_at: datetime  # UTC
    invoice_numbers: Sequence[str]


def receipt_email(facts: ReceiptFacts) -> tuple[str, str]:
    """(subject, text) of a payment's receipt."""
    amount = format_money(facts.amount, facts.currency, facts.locale)
    text = (
        f"Hello {facts.client_name},\n\n"
        f"Thank you: we received your payment of {amount}.\n\n"
        f"Reference: {facts.reference}\n"
        f"Paid with: {facts.card_label}\n"
        f"Date: {facts.paid_at:%Y-%m-%d %H:%M} UTC\n"
        f"Invoices: {', '.join(facts.invoice_numbers)}\n\n"
        f"{facts.business_name}\n"
    )
    return f"Receipt {facts.reference} from {facts.business_name}", text
