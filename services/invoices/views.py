"""Invoices as plain data: summaries, details, lines, what is owed; the rules on statuses.

Everything here is a dataclass or a pure function of rows already read; the queries and
the writes are in invoices.py (InvoiceService).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models import Business, Client, Invoice, InvoiceLine
from models.states import InvoiceStatus as InvoiceStatus  # re-exported: screens read it here
from services.invoices.discount import Discount, discount_label
from services.invoices.pricing import PricedLine as PricedLine  # re-exported with the rest
from services.invoices.pricing import line_rows as line_rows
from services.invoices.pricing import priced as priced
from services.invoices.pricing import sums_of as sums_of
from services.text import visible

PAYABLE = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL)


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: int
    quantity_milli: int = 1000
    tax_rate_bp: int = 0


def line_values(lines: Iterable[Any]) -> list[list]:
    """Lines as the audit trail keeps them (an invoice's or a recurring invoice's, or typed):
    [description, quantity_milli, unit_price, tax_rate_bp] each."""
    return [[x.description, x.quantity_milli, x.unit_price, x.tax_rate_bp] for x in lines]


class Payable:
    """`payable` for a view with an invoice's `status` and `balance`."""

    status: str
    balance: int

    @property
    def payable(self) -> bool:
        return is_payable(self.status, self.balance)


@dataclass(frozen=True)
class InvoiceSummary(Payable):
    id: int
    number: str
    status: str
    total: int
    balance: int
    currency: str
    issue_date: date
    due_date: date
    overdue: bool


@dataclass(frozen=True)
class LineView:
    description: str
    quantity_milli: int
    unit_price: int
    tax_rate_bp: int
    amount: int
    tax: int
    discount: int = 0


@dataclass(frozen=True)
class Party:
    name: str
    email: str
    address: str


@dataclass(frozen=True)
class InvoiceDetail(Payable):
    id: int
    number: str
    status: str
    currency: str
    locale: str
    issue_date: date
    due_date: date
    subtotal: int
    discount: Discount
    discount_total: int
    tax_total: int
    total: int
    amount_paid: int
    balance: int
    overdue: bool
    notes: str
    client_id: int
    business_id: int
    business: Party
    client: Party
    lines: tuple[LineView, ...]
    recurring_id: int | None


@dataclass(frozen=True)
class BusinessProfile:
    """How a business shows amounts and dates."""

    name: str
    currency: str
    locale: str
    timezone: str


@dataclass(frozen=True)
class OwedSummary:
    total: int
    count: int
    overdue_count: int
    oldest_due: date | None
    currency: str


def is_payable(status: str, balance: int) -> bool:
    """An invoice can be paid while it is open (PAYABLE) and something is still owed."""
    return status in PAYABLE and balance > 0


def is_overdue(status: str, balance: int, due: date, today: date) -> bool:
    return is_payable(status, balance) and due < today


def summary_of(inv: Invoice, today: date) -> InvoiceSummary:
    balance = inv.total - inv.amount_paid
    return InvoiceSummary(
        id=inv.id,
        number=inv.number,
        status=inv.status,
        total=inv.total,
        balance=balance,
        currency=inv.currency,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        overdue=is_overdue(inv.status, balance, inv.due_date, today),
    )


def detail_of(
    inv: Invoice,
    business: Business,
    client: Client,
    lines: Iterable[InvoiceLine],
    today: date,
) -> InvoiceDetail:
    """An invoice as plain data, from rows already read (lines in position order)."""
    balance = inv.total - inv.amount_paid
    return InvoiceDetail(
        id=inv.id,
        number=inv.number,
        status=inv.status,
        currency=inv.currency,
        locale=business.locale,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        subtotal=inv.subtotal,
        discount=Discount(inv.discount_kind, inv.discount_value),
        discount_total=inv.discount_total,
        tax_total=inv.tax_total,
        total=inv.total,
        amount_paid=inv.amount_paid,
        balance=balance,
        overdue=is_overdue(inv.status, balance, inv.due_date, today),
        notes=visible(inv.notes, lines=True),
        client_id=inv.client_id,
        business_id=inv.business_id,
        business=party(business.name, business.billing_email, business.address),
        client=party(client.name, client.email, client.address),
        lines=tuple(
            LineView(
                visible(ln.description),
                ln.quantity_milli,
                ln.unit_price,
                ln.tax_rate_bp,
                ln.amount,
                ln.tax,
                ln.discount,
            )
            for ln in lines
        ),
        recurring_id=inv.recurring_id,
    )


def party(name: str, email: str, address: str) -> Party:
    """A business or client as shown: stored text with its control characters made visible."""
    return Party(visible(name), visible(email), visible(address, lines=True))


def status_for(total: int, paid: int, current: str) -> str:
    """The stored status after a payment or refund changed what was paid."""
    if current in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        return current
    if paid >= total:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIAL if paid > 0 else InvoiceStatus.SENT


def total_rows(invoice: InvoiceDetail) -> list[tuple[str, int]]:
    """The totals every rendering shows (PDF, kiosk, web page, console, CLI), in order:
    the subtotal, the discount (when there is one, as a negative amount), tax, total."""
    rows = [("Subtotal", invoice.subtotal)]
    if invoice.discount_total:
        rows.append((discount_label(invoice.discount), -invoice.discount_total))
    return [*rows, ("Tax", invoice.tax_total), ("Total", invoice.total)]


STAMPS = {"sent": "DUE", "partial": "PARTLY PAID", "overdue": "OVERDUE"}


def status_stamp(status: str) -> str:
    """The status as the invoice page and its PDF stamp it: "PARTLY PAID", as the kiosk's
    and the console's "Partly paid"."""
    return STAMPS.get(status, status.upper())
