"""The invoices export: one row per invoice, with its client, dates, status and amounts.

--from/--to pick invoices by issue date. From the Invoices screen, its search and status
filter apply too. "overdue" is derived as the list derives it, as of the business's today.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from models import Business, Client, Invoice
from services.console.invoice_list import FILTERS, InvoiceQuery, invoice_where
from services.exports.csv_file import ExportTable, major
from services.exports.kind import ExportAsk, ExportKind, pages, span_words
from services.invoices.views import is_payable
from services.text import visible

HEADER = (
    "number",
    "client",
    "client_email",
    "status",
    "issue_date",
    "due_date",
    "currency",
    "subtotal",
    "tax",
    "total",
    "paid",
    "balance",
    "notes",
)


def _where(business: Business, today: date, ask: ExportAsk):
    screen = ask.screen if isinstance(ask.screen, InvoiceQuery) else InvoiceQuery()
    where = invoice_where(business.id, today, screen)
    if ask.since:
        where &= Invoice.issue_date >= ask.since
    if ask.until:
        where &= Invoice.issue_date <= ask.until
    return where


def _rows(query, today: date) -> Iterator[tuple[Any, ...]]:
    for (_, number, name, email, status, issued, due, currency, sub, tax, total, paid,
         notes) in pages(query, Invoice.id, raw=True):  # fmt: skip
        balance = total - paid
        shown = status
        if is_payable(status, balance):  # only an open one can be overdue: parse its date
            due_day = date.fromisoformat(due) if isinstance(due, str) else due
            shown = "overdue" if due_day < today else status
        yield (number, name, email, shown, issued, due, currency, major(sub, currency),
               major(tax, currency), major(total, currency), major(paid, currency),
               major(balance, currency), notes)  # fmt: skip


def open_invoices(business: Business, today: date, ask: ExportAsk) -> ExportTable:
    where = _where(business, today, ask)
    total = Invoice.select(Invoice.id).join(Client).where(where).count()
    query = (
        Invoice.select(
            Invoice.id,
            Invoice.number,
            Client.name,
            Client.email,
            Invoice.status,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.currency,
            Invoice.subtotal,
            Invoice.tax_total,
            Invoice.total,
            Invoice.amount_paid,
            Invoice.notes,
        )
        .join(Client)
        .where(where)
    )
    about = [*span_words("issued", ask), f"status as of {today}"]
    screen = ask.screen if isinstance(ask.screen, InvoiceQuery) else None
    if screen is not None:
        about.append(f"shown: {FILTERS.get(screen.filter_by, screen.filter_by)}")
        if screen.search.strip():
            about.append(f"search: {visible(screen.search.strip())}")
    return ExportTable(
        "invoices", HEADER, total, _rows(query, today), tuple(about), business.timezone
    )


INVOICES = ExportKind(
    name="invoices",
    help="every invoice: number, client, status, dates, amounts",
    period="issue date",
    takes_as_of=False,
    open=open_invoices,
)
