"""The console's client list: one page at a time, searched, filtered and sorted in SQL.

A page is two statements whatever the number of clients: the count, and the page itself
(clients joined to their open invoices' sums; the auto-bill and saved-card columns are
subqueries evaluated for the page's rows only). Sorted by name or email with no balance
filter, only the page's clients' open invoices are summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from peewee import JOIN, Case, fn

from models import Client, Invoice, PaymentMethod, RecurringInvoice, utcnow
from services.billing.policy import CLIENT_CHOOSES
from services.invoices.views import PAYABLE
from services.text import visible

SORTS = ("name", "email", "owed", "overdue")
FILTERS = {"all": "All clients", "owing": "Owing", "overdue": "Overdue"}
AUTOBILL_ON, AUTOBILL_OFF, NO_SERIES = "on", "off", "—"


@dataclass(frozen=True)
class ClientQuery:
    """Which clients, in which order: `search` in name or email, a FILTERS key, a SORTS key."""

    search: str = ""
    filter_by: str = "all"
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class ClientRow:
    """One line of the list."""

    id: int
    name: str
    email: str
    owed: int
    overdue: int
    autobill: str  # AUTOBILL_ON, AUTOBILL_OFF, or NO_SERIES (no active recurring invoice)
    has_card: bool


@dataclass(frozen=True)
class ClientPage:
    """The rows from `offset`, out of `total` matching clients, read at `as_of` (UTC)."""

    rows: tuple[ClientRow, ...]
    offset: int
    total: int
    as_of: datetime

    @property
    def first(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)


def _open_sums(business_id: int, today: date, clients=None):
    """Each client's open balance and overdue part; only `clients`' (a subquery) if given."""
    balance = Invoice.total - Invoice.amount_paid
    return (
        Invoice.select(
            Invoice.client.alias("client_id"),
            fn.SUM(balance).alias("owed"),
            fn.SUM(Case(None, [(Invoice.due_date < today, balance)], 0)).alias("overdue"),
        )
        .where(
            (Invoice.business == business_id)
            & Invoice.status.in_(PAYABLE)
            & (Invoice.total > Invoice.amount_paid)
            & (True if clients is None else Invoice.client.in_(clients))
        )
        .group_by(Invoice.client)
        .alias("open_sums")
    )


def _autobill_column():
    """1 if an active series of the client is auto-billed, 0 if none is, NULL with none."""
    on = (RecurringInvoice.autobill_mode == "always") | (
        RecurringInvoice.autobill_mode.in_(CLIENT_CHOOSES)
        & (RecurringInvoice.client_autobill == True)  # noqa: E712 - Peewee expression
    )
    return (
        RecurringInvoice.select(fn.MAX(Case(None, [(on, 1)], 0)))
        .where((RecurringInvoice.client == Client.id) & (RecurringInvoice.status == "active"))
        .alias("autobill")
    )


def _card_column():
    return fn.EXISTS(
        PaymentMethod.select(PaymentMethod.id).where(PaymentMethod.client == Client.id)
    ).alias("has_card")


def client_page(
    business_id: int, today: date, ask: ClientQuery, offset: int = 0, limit: int = 50
) -> ClientPage:
    """One page of the business's (unarchived) clients as `ask` says, from `offset`."""
    search, filter_by, sort, descending = ask.search, ask.filter_by, ask.sort, ask.descending
    sums = _open_sums(business_id, today)
    owed = fn.COALESCE(sums.c.owed, 0)
    overdue = fn.COALESCE(sums.c.overdue, 0)
    where = (Client.business == business_id) & (Client.archived == False)  # noqa: E712
    needle = search.strip()
    if needle:
        where &= Client.name.contains(needle) | Client.email.contains(needle)
    if filter_by == "owing":
        where &= owed > 0
    elif filter_by == "overdue":
        where &= overdue > 0
    base = Client.select(Client.id).join(sums, JOIN.LEFT_OUTER, on=(sums.c.client_id == Client.id))
    counted = base.where(where) if filter_by != "all" else Client.select().where(where)
    total = counted.count()
    key = {"name": Client.name, "email": Client.email, "owed": owed, "overdue": overdue}[
        sort if sort in SORTS else "name"
    ]
    order = [key.desc() if descending else key.asc(), Client.id.asc()]
    if filter_by == "all" and sort in ("name", "email"):
        # The page is known without the balances: sum only its clients' open invoices
        # (a few ms), not every open invoice of the business (bench/admin.py).
        page = (
            Client.select(Client.id)
            .where(where)
            .order_by(*order)
            .offset(max(0, offset))
            .limit(limit)
        )
        sums = _open_sums(business_id, today, page)
        owed = fn.COALESCE(sums.c.owed, 0)
        overdue = fn.COALESCE(sums.c.overdue, 0)
    query = (
        Client.select(
            Client.id,
            Client.name,
            Client.email,
            owed.alias("owed"),
            overdue.alias("overdue"),
            _autobill_column(),
            _card_column(),
        )
        .join(sums, JOIN.LEFT_OUTER, on=(sums.c.client_id == Client.id))
        .where(where)
        .order_by(*order)
        .offset(max(0, offset))
        .limit(limit)
        .tuples()
    )
    rows = tuple(
        ClientRow(
            id=row[0],
            name=visible(row[1]),
            email=visible(row[2]),
            owed=int(row[3] or 0),
            overdue=int(row[4] or 0),
            autobill=NO_SERIES if row[5] is None else AUTOBILL_ON if row[5] else AUTOBILL_OFF,
            has_card=bool(row[6]),
        )
        for row in cast("Iterable[tuple[Any, ...]]", query)
    )
    return ClientPage(rows, max(0, offset), total, utcnow())
