"""The payments export: one row per payment received, with what was refunded of it.

--from/--to pick payments by the business's day they were received. From the Payments
screen, its client, method, status and date filters apply too. `net` is amount − refunded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from models import Business, Client, Payment
from services.console.payment_list import (
    METHODS,
    STATUSES,
    PaymentQuery,
    day_start_utc,
    payment_where,
)
from services.exports.csv_file import ExportTable, local_moment, major
from services.exports.kind import ExportAsk, ExportKind, pages, span_words
from services.text import visible

HEADER = (
    "reference",
    "received_at",
    "client",
    "client_email",
    "method",
    "card",
    "method_reference",
    "currency",
    "amount",
    "refunded",
    "net",
)


def _rows(query, tz_name: str) -> Iterator[tuple[Any, ...]]:
    for (
        _,
        reference,
        at,
        name,
        email,
        method,
        brand,
        last4,
        ref,
        currency,
        amount,
        refunded,
    ) in pages(query, Payment.id):
        refunded = refunded or 0
        card = f"{brand} {last4}" if last4 else ""
        yield (reference, local_moment(at, tz_name), name, email, method, card, ref, currency,
               major(amount, currency), major(refunded, currency),
               major(amount - refunded, currency))  # fmt: skip


def open_payments(business: Business, today: date, ask: ExportAsk) -> ExportTable:
    screen = ask.screen if isinstance(ask.screen, PaymentQuery) else None
    tz_name = business.timezone
    where = payment_where(business.id, tz_name, screen or PaymentQuery())
    if ask.since:
        where &= Payment.created_at >= day_start_utc(ask.since, tz_name)
    if ask.until:
        where &= Payment.created_at < day_start_utc(ask.until + timedelta(days=1), tz_name)
    total = Payment.select(Payment.id).join(Client).where(where).count()
    query = (
        Payment.select(
            Payment.id,
            Payment.reference,
            Payment.created_at,
            Client.name,
            Client.email,
            Payment.method,
            Payment.card_brand,
            Payment.card_last4,
            Payment.method_reference,
            Payment.currency,
            Payment.amount,
            Payment.amount_refunded,
        )
        .join(Client)
        .where(where)
    )
    about = list(span_words("received", ask))
    if screen is not None:
        about += span_words("received", ExportAsk(screen.since, screen.until))
        about.append(f"shown: {METHODS[screen.method]} · {STATUSES[screen.status]}")
        if screen.client.strip():
            about.append(f"client: {visible(screen.client.strip())}")
    return ExportTable("payments", HEADER, total, _rows(query, tz_name), tuple(about), tz_name)


PAYMENTS = ExportKind(
    name="payments",
    help="every payment received: reference, time, client, method, amount, refunded",
    period="day received",
    takes_as_of=False,
    open=open_payments,
)
