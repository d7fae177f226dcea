"""The clients export: one row per client (not archived), with what they owe as of today.

`owed` is the balance of their open invoices, `overdue` the part of it past due (as the
Clients list says them). From the Clients screen, its search and filter apply too. The sums
are subqueries per client (each an index range of that client's invoices), so a page of
clients costs the same however many clients come before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from peewee import Case, fn

from models import Business, Client, Invoice
from services.console.client_list import FILTERS, ClientQuery
from services.exports.csv_file import ExportTable, local_moment, major
from services.exports.kind import ExportAsk, ExportKind, pages
from services.invoices.views import PAYABLE
from services.text import visible

HEADER = ("id", "name", "email", "address", "currency", "owed", "overdue", "created_at")


def _open_sum(today: date | None):
    """The client's open balance (past due only, with `today`), a correlated subquery."""
    balance = Invoice.total - Invoice.amount_paid
    value = balance if today is None else Case(None, [(Invoice.due_date < today, balance)], 0)
    return Invoice.select(fn.COALESCE(fn.SUM(value), 0)).where(
        (Invoice.client == Client.id)
        & Invoice.status.in_(PAYABLE)
        & (Invoice.total > Invoice.amount_paid)
    )


def _rows(query, currency: str, tz_name: str) -> Iterator[tuple[Any, ...]]:
    for client_id, name, email, address, owed, overdue, created in pages(query, Client.id):
        yield (client_id, name, email, address, currency, major(int(owed or 0), currency),
               major(int(overdue or 0), currency), local_moment(created, tz_name))  # fmt: skip


def open_clients(business: Business, today: date, ask: ExportAsk) -> ExportTable:
    screen = ask.screen if isinstance(ask.screen, ClientQuery) else ClientQuery()
    owed, overdue = _open_sum(None), _open_sum(today)
    where = (Client.business == business.id) & (Client.archived == False)  # noqa: E712
    needle = screen.search.strip()
    if needle:
        where &= Client.name.contains(needle) | Client.email.contains(needle)
    if screen.filter_by == "owing":
        where &= owed > 0
    elif screen.filter_by == "overdue":
        where &= overdue > 0
    total = Client.select(Client.id).where(where).count()
    query = Client.select(
        Client.id,
        Client.name,
        Client.email,
        Client.address,
        owed.alias("owed"),
        overdue.alias("overdue"),
        Client.created_at,
    ).where(where)
    about = [f"owed as of {today}"]
    if isinstance(ask.screen, ClientQuery):
        about.append(f"shown: {FILTERS.get(screen.filter_by, screen.filter_by)}")
        if needle:
            about.append(f"search: {visible(needle)}")
    rows = _rows(query, business.currency, business.timezone)
    return ExportTable("clients", HEADER, total, rows, tuple(about), business.timezone)


CLIENTS = ExportKind(
    name="clients",
    help="every client (not archived): name, email, address, owed and overdue today",
    period="",
    takes_as_of=False,
    open=open_clients,
)
