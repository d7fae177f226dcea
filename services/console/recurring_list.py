"""The console's recurring list: one page at a time, searched, filtered and sorted in SQL.

A page is four statements whatever the number of schedules: the count, the page (schedules
joined to their clients), the page's lines (for the amounts, priced as the run prices them)
and the page's latest auto-bill changes (who chose, when).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from models import Client, RecurringInvoice, utcnow
from services.billing.phases.generate_due import lines_of
from services.billing.policy import CLIENT_CHOOSES, autobill_effective
from services.billing.preview import invoice_total
from services.billing.schedule import frequency_label
from services.console.client_detail import AutobillChange, autobill_changes
from services.text import visible

SORTS = ("next", "client")
FILTERS = {
    "live": "Active and paused",
    "active": "Active",
    "paused": "Paused",
    "cancelled": "Cancelled",
    "all": "All",
}


@dataclass(frozen=True)
class RecurringQuery:
    """Which schedules: `search` in client name or description, a FILTERS key, a SORTS key."""

    search: str = ""
    filter_by: str = "live"
    sort: str = "next"
    descending: bool = False


@dataclass(frozen=True)
class RecurringRow:
    """One line of the list: the schedule, its auto-bill mode and the client's own choice."""

    id: int
    client_id: int
    client_name: str
    description: str
    frequency: str
    next_date: date | None  # None once paused, cancelled or ended
    amount: int
    mode: str
    client_choice: bool | None  # None where the mode does not let the client choose
    autobill_on: bool
    status: str
    change: AutobillChange | None  # the client's (or anyone's) last Enable/Disable


@dataclass(frozen=True)
class RecurringPage:
    rows: tuple[RecurringRow, ...]
    offset: int
    total: int
    as_of: datetime


def _where(business_id: int, ask: RecurringQuery):
    where = RecurringInvoice.business == business_id
    if ask.filter_by == "live":
        where &= RecurringInvoice.status.in_(("active", "paused"))
    elif ask.filter_by in ("active", "paused", "cancelled"):
        where &= RecurringInvoice.status == ask.filter_by
    needle = ask.search.strip()
    if needle:
        where &= Client.name.contains(needle) | RecurringInvoice.description.contains(needle)
    return where


def recurring_page(
    business_id: int, ask: RecurringQuery, offset: int = 0, limit: int = 50
) -> RecurringPage:
    """One page of the business's recurring invoices as `ask` says, from `offset`."""
    where = _where(business_id, ask)
    total = RecurringInvoice.select().join(Client).where(where).count()
    key = Client.name if ask.sort == "client" else RecurringInvoice.next_date
    order = [key.desc() if ask.descending else key.asc(), RecurringInvoice.id.asc()]
    query = (
        RecurringInvoice.select(
            RecurringInvoice.id,
            RecurringInvoice.client,
            Client.name,
            RecurringInvoice.description,
            RecurringInvoice.frequency,
            RecurringInvoice.next_date,
            RecurringInvoice.end_date,
            RecurringInvoice.max_count,
            RecurringInvoice.generated_count,
            RecurringInvoice.autobill_mode,
            RecurringInvoice.client_autobill,
            RecurringInvoice.status,
        )
        .join(Client)
        .where(where)
        .order_by(*order)
        .offset(max(0, offset))
        .limit(limit)
        .tuples()
    )
    found = list(cast("Iterable[tuple[Any, ...]]", query))
    ids = [row[0] for row in found]
    lines, changes = lines_of(ids), autobill_changes(ids)
    rows = tuple(_row(row, invoice_total(lines.get(row[0], [])), changes) for row in found)
    return RecurringPage(rows, max(0, offset), total, utcnow())


def _row(row: tuple[Any, ...], amount: int, changes: dict[int, AutobillChange]) -> RecurringRow:
    rid, client_id, name, description, frequency, next_date = row[:6]
    end, count, made, mode, choice, status = row[6:]
    ended = (count is not None and made >= count) or (end is not None and next_date > end)
    return RecurringRow(
        id=rid,
        client_id=client_id,
        client_name=visible(name),
        description=visible(description),
        frequency=frequency_label(frequency),
        next_date=next_date if status == "active" and not ended else None,
        amount=amount,
        mode=mode,
        client_choice=bool(choice) if mode in CLIENT_CHOOSES else None,
        autobill_on=autobill_effective(mode, bool(choice)),
        status="ended" if ended and status == "active" else status,
        change=changes.get(rid),
    )
