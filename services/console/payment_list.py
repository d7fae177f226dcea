"""The console's payment list: one page at a time, filtered and sorted in SQL.

A page is two statements whatever the number of payments: the count, and the page (payments
joined to their clients; whether a refund is still pending is a subquery evaluated for the
page's rows and, when filtered on, in the WHERE). Dates are the business's days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from peewee import Case, fn

from models import Client, Payment, Refund, utcnow
from models.states import REFUND_PENDING
from services.clock import zone
from services.payments.cards import card_label
from services.text import visible

SORTS = ("date", "amount", "client")
METHODS = {"all": "Any method", "card": "Card", "offline": "Offline"}
STATUSES = {
    "all": "Any status",
    "received": "Received",
    "refunding": "Refund pending",
    "part_refunded": "Part refunded",
    "refunded": "Refunded",
}
STATUS_WORDS = {
    "received": "received",
    "refunding": "refunding",
    "part_refunded": "part refunded",
    "refunded": "refunded",
}


@dataclass(frozen=True)
class PaymentQuery:
    """Which payments, in which order: between two of the business's days (either may be
    None), `client` in the client's name or email, a METHODS and a STATUSES key, a SORTS key."""

    since: date | None = None
    until: date | None = None
    client: str = ""
    method: str = "all"
    status: str = "all"
    sort: str = "date"
    descending: bool = True


@dataclass(frozen=True)
class PaymentListRow:
    """One line of the list."""

    id: int
    reference: str
    at: datetime  # UTC
    client: str
    amount: int
    refunded: int
    currency: str
    card: str  # "Visa •••• 4242", or "" for an offline payment
    status: str  # a STATUS_WORDS key

    @property
    def method(self) -> str:
        return "card" if self.card else "offline"


@dataclass(frozen=True)
class PaymentPage:
    rows: tuple[PaymentListRow, ...]
    offset: int
    total: int
    as_of: datetime


def day_start_utc(day: date, tz_name: str) -> datetime:
    """The first instant of `day` in the business's zone, as naive UTC."""
    local = datetime.combine(day, time(0), tzinfo=zone(tz_name))
    return local.astimezone(UTC).replace(tzinfo=None)


def is_card():
    """A payment taken by card (Stripe), as opposed to one recorded offline."""
    return Payment.stripe_intent_id.is_null(False) | (Payment.card_last4 != "")


def _pending_column():
    return fn.EXISTS(
        Refund.select(Refund.id).where(
            (Refund.payment == Payment.id) & Refund.status.in_(REFUND_PENDING)
        )
    )


def _status_where(status: str, pending):
    """The WHERE of one status; a payment with a refund pending is only "refunding"."""
    fully = Payment.amount_refunded >= Payment.amount
    if status == "refunding":
        return pending
    if status == "refunded":
        return fully & ~pending
    if status == "part_refunded":
        return (Payment.amount_refunded > 0) & ~fully & ~pending
    if status == "received":
        return (Payment.amount_refunded == 0) & ~pending
    return None


def payment_where(business_id: int, tz_name: str, ask: PaymentQuery):
    """The WHERE of the payments `ask` picks (Client joined)."""
    where = Client.business == business_id
    if ask.since is not None:
        where &= Payment.created_at >= day_start_utc(ask.since, tz_name)
    if ask.until is not None:
        where &= Payment.created_at < day_start_utc(ask.until + timedelta(days=1), tz_name)
    needle = ask.client.strip()
    if needle:
        where &= Client.name.contains(needle) | Client.email.contains(needle)
    if ask.method == "card":
        where &= is_card()
    elif ask.method == "offline":
        where &= ~is_card()
    status = _status_where(ask.status, _pending_column())
    if status is not None:
        where &= status
    return where


def payment_page(
    business_id: int, tz_name: str, ask: PaymentQuery, offset: int = 0, limit: int = 50
) -> PaymentPage:
    """One page of the business's payments as `ask` says, from `offset`."""
    where = payment_where(business_id, tz_name, ask)
    total = Payment.select(Payment.id).join(Client).where(where).count()
    key: Any = {"date": Payment.created_at, "amount": Payment.amount, "client": Client.name}[
        ask.sort if ask.sort in SORTS else "date"
    ]
    tie = Payment.id.desc() if ask.descending else Payment.id.asc()
    order = [key.desc() if ask.descending else key.asc(), tie]
    pending = _pending_column()
    query = (
        Payment.select(
            Payment.id,
            Payment.reference,
            Payment.created_at,
            Client.name,
            Payment.amount,
            Payment.amount_refunded,
            Payment.currency,
            Payment.card_brand,
            Payment.card_last4,
            Case(None, [(pending, 1)], 0),
        )
        .join(Client)
        .where(where)
        .order_by(*order)
        .offset(max(0, offset))
        .limit(limit)
        .tuples()
    )
    rows = tuple(_row(row) for row in cast("Iterable[tuple[Any, ...]]", query))
    return PaymentPage(rows, max(0, offset), total, utcnow())


def _row(row: tuple[Any, ...]) -> PaymentListRow:
    amount, refunded = int(row[4]), int(row[5] or 0)
    if row[9]:
        status = "refunding"
    elif refunded >= amount:
        status = "refunded"
    elif refunded:
        status = "part_refunded"
    else:
        status = "received"
    return PaymentListRow(
        id=row[0],
        reference=visible(row[1]),
        at=row[2],
        client=visible(row[3]),
        amount=amount,
        refunded=refunded,
        currency=row[6],
        card=visible(card_label(row[7], row[8])) if row[8] else "",
        status=status,
    )
