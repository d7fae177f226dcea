"""The receipt email a client gets for a payment (plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.dates import format_moment
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
    timezone: str = "UTC"  # the business's: the receipt's date and time are its


def receipt_email(facts: ReceiptFacts) -> tuple[str, str]:
    """(subject, text) of a payment's receipt."""
    amount = format_money(facts.amount, facts.currency, facts.locale)
    text = (
        f"Hello {facts.client_name},\n\n"
        f"Thank you: we received your payment of {amount}.\n\n"
        f"Reference: {facts.reference}\n"
        f"Paid with: {facts.card_label}\n"
        f"Date: {format_moment(facts.paid_at, facts.timezone, facts.locale)}\n"
        f"Invoices: {', '.join(facts.invoice_numbers)}\n\n"
        f"{facts.business_name}\n"
    )
    return f"Receipt {facts.reference} from {facts.business_name}", text


@dataclass(frozen=True)
class RefundFacts:
    """What a refund receipt says: how much of which payment went back to which card."""

    client_name: str
    business_name: str
    locale: str
    reference: str  # the payment's
    amount: int
    currency: str
    card_label: str
    refunded_at: datetime  # UTC
    timezone: str = "UTC"


def refund_email(facts: RefundFacts) -> tuple[str, str]:
    """(subject, text) of a refund's receipt."""
    amount = format_money(facts.amount, facts.currency, facts.locale)
    text = (
        f"Hello {facts.client_name},\n\n"
        f"We refunded {amount} of your payment {facts.reference}.\n\n"
        f"Refunded to: {facts.card_label}\n"
        f"Date: {format_moment(facts.refunded_at, facts.timezone, facts.locale)}\n\n"
        "Your bank may take 5 to 10 business days to show it on your statement.\n\n"
        f"{facts.business_name}\n"
    )
    return f"Refund of {amount} for {facts.reference} from {facts.business_name}", text
