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
from services.money import line_amount, line_tax

PAYABLE = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL)


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: int
    quantity_milli: int = 1000
    tax_rate_bp: int = 0


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


def valid_line(line: Any) -> bool:
    """A line can be invoiced: a positive quantity, no negative price or tax rate."""
    return line.quantity_milli > 0 and line.unit_price >= 0 and line.tax_rate_bp >= 0


def lines_problem(lines: list[Any]) -> str:
    """Why `InvoiceService.create` would refuse these lines ("" when it would not)."""
    if not lines:
        return "an invoice needs at least one line"
    for line in lines:
        if not valid_line(line):
            return f"line {line.description!r}: quantity, price or tax is invalid"
    return ""


def priced(lines: Iterable[Any]) -> list[tuple[int, Any, int, int]]:
    """(position, line, amount, tax) of each line (a LineInput or a RecurringLine)."""
    rows = []
    for position, line in enumerate(lines):
        amount = line_amount(line.quantity_milli, line.unit_price)
        rows.append((position, line, amount, line_tax(amount, line.tax_rate_bp)))
    return rows


def line_rows(invoice_id: int, rows: list[tuple[int, Any, int, int]]) -> list[dict[str, Any]]:
    """The invoice_line rows of priced lines."""
    return [
        {
            "invoice": invoice_id,
            "position": position,
            "description": line.description,
            "quantity_milli": line.quantity_milli,
            "unit_price": line.unit_price,
            "tax_rate_bp": line.tax_rate_bp,
            "amount": amount,
            "tax": tax,
        }
        for position, line, amount, tax in rows
    ]


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
        tax_total=inv.tax_total,
        total=inv.total,
        amount_paid=inv.amount_paid,
        balance=balance,
        overdue=is_overdue(inv.status, balance, inv.due_date, today),
        notes=inv.notes,
        client_id=inv.client_id,
        business_id=inv.business_id,
        business=Party(business.name, business.billing_email, business.address),
        client=Party(client.name, client.email, client.address),
        lines=tuple(
            LineView(
                ln.description, ln.quantity_milli, ln.unit_price, ln.tax_rate_bp, ln.amount, ln.tax
            )
            for ln in lines
        ),
        recurring_id=inv.recurring_id,
    )


def status_for(total: int, paid: int, current: str) -> str:
    """The stored status after a payment or refund changed what was paid."""
    if current in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        return current
    if paid >= total:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIAL if paid > 0 else InvoiceStatus.SENT
