"""The console's invoice list: every invoice of the business, a page at a time, searched,
filtered and sorted in SQL.

A page is two statements whatever the number of invoices: the count and the page (invoices
joined to their clients). "overdue" is derived as everywhere else: open, something owed,
due before the business's today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from models import Client, Invoice, utcnow
from models.states import InvoiceStatus
from services.invoices.views import PAYABLE, is_overdue
from services.text import visible

OVERDUE = "overdue"
FILTERS = {
    "all": "All invoices",
    InvoiceStatus.DRAFT.value: "Drafts",
    InvoiceStatus.SENT.value: "Sent",
    InvoiceStatus.PARTIAL.value: "Partly paid",
    InvoiceStatus.PAID.value: "Paid",
    InvoiceStatus.VOID.value: "Void",
    OVERDUE: "Overdue",
}
SORTS = ("number", "client", "due", "total", "balance")


@dataclass(frozen=True)
class InvoiceQuery:
    """Which invoices, in which order: `search` in the number or the client's name or email,
    a FILTERS key, a SORTS key. The newest number first by default."""

    search: str = ""
    filter_by: str = "all"
    sort: str = "number"
    descending: bool = True


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    client: str
    status: str  # the stored status, or "overdue"
    issue_date: date
    due_date: date
    total: int
    balance: int


@dataclass(frozen=True)
class InvoicePage:
    rows: tuple[InvoiceRow, ...]
    offset: int
    total: int
    as_of: datetime


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def invoice_where(business_id: int, today: date, ask: InvoiceQuery):
    """The WHERE of the invoices `ask` picks (a search needs Client joined)."""
    balance = Invoice.total - Invoice.amount_paid
    where = Invoice.business == business_id
    needle = ask.search.strip()
    if needle:
        where &= (
            Invoice.number.contains(needle)
            | Client.name.contains(needle)
            | Client.email.contains(needle)
        )
    if ask.filter_by == OVERDUE:
        where &= Invoice.status.in_(PAYABLE) & (balance > 0) & (Invoice.due_date < today)
    elif ask.filter_by in FILTERS and ask.filter_by != "all":
        where &= Invoice.status == ask.filter_by
    return where


def invoice_page(
    business_id: int, today: date, ask: InvoiceQuery, offset: int = 0, limit: int = 50
) -> InvoicePage:
    """One page of the business's invoices as `ask` says, from `offset`."""
    balance = Invoice.total - Invoice.amount_paid
    where = invoice_where(business_id, today, ask)
    needle = ask.search.strip()
    base = Invoice.select(Invoice.id)
    counted = base.join(Client).where(where) if needle else base.where(where)
    total = counted.count()
    key: Any = {
        "number": Invoice.number,
        "client": Client.name,
        "due": Invoice.due_date,
        "total": Invoice.total,
        "balance": balance,
    }[ask.sort if ask.sort in SORTS else "number"]
    order = [key.desc() if ask.descending else key.asc()]
    order.append(Invoice.id.desc() if ask.descending else Invoice.id.asc())
    query = (
        Invoice.select(
            Invoice.id,
            Invoice.number,
            Client.name,
            Invoice.status,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.total,
            balance.alias("balance"),
        )
        .join(Client)
        .where(where)
        .order_by(*order)
        .offset(max(0, offset))
        .limit(limit)
        .tuples()
    )
    rows = []
    for row in cast("Iterable[tuple[Any, ...]]", query):
        due, owed = _day(row[5]), int(row[7])
        status = OVERDUE if is_overdue(row[3], owed, due, today) else row[3]
        rows.append(
            InvoiceRow(
                row[0], visible(row[1]), visible(row[2]), status, _day(row[4]), due, row[6], owed
            )
        )
    return InvoicePage(tuple(rows), max(0, offset), total, utcnow())
