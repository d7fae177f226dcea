"""The aging export: one row per client that owed something at the end of the as-of day
(`--as-of`, default today), what it owed then split by age past the due date, as the
Receivables screen shows it (services/console/aging.py). The rows add up to the aging's
totals; a client's row is read with the others of its page, by client id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from models import Business, Client
from services.clock import business_today
from services.console.aging import aging_totals, per_client
from services.exports.csv_file import ExportTable, major
from services.exports.kind import ExportAsk, ExportKind, ExportRefused, pages

HEADER = ("client_id", "client", "email", "currency", "owed", "current", "days_1_30",
          "days_31_60", "days_61_90", "days_over_90", "open_invoices")  # fmt: skip


def _rows(query, currency: str) -> Iterator[tuple[Any, ...]]:
    for client_id, name, email, owed, count, *buckets in pages(query, Client.id):
        yield (client_id, name, email, currency, major(int(owed), currency),
               *(major(int(b or 0), currency) for b in buckets), int(count))  # fmt: skip


def open_aging(business: Business, today: date, ask: ExportAsk) -> ExportTable:
    """`today` is the as-of day (the CLI's --as-of, the screen's date, or today)."""
    day = ask.as_of or today
    if day > business_today(business.timezone):
        raise ExportRefused("--as-of is in the future: the aging is of today or a day gone by")
    tz = business.timezone
    totals = aging_totals(business.id, day, tz)
    query, _ = per_client(business.id, day, tz, Client.id, Client.name, Client.email)
    about = (f"owed at the end of {day} (as of that day)",
             "ages in days past the due date")  # fmt: skip
    rows = _rows(query, business.currency)
    return ExportTable("aging", HEADER, totals.clients, rows, about, tz)


AGING = ExportKind(
    name="aging",
    help="what each client owed as of a day (--as-of, default today), by age past due",
    period="",
    takes_as_of=True,
    open=open_aging,
)
