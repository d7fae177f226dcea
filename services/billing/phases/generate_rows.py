"""The rows one generate batch writes: invoices, lines, billing rows, audit rows, schedules.

One statement per table (models/bulk_rows.py), inside the batch's write transaction
(`Generator.generate_batch`); invoice numbers are taken from the locked business row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from models import Business, Invoice, InvoiceBilling, InvoiceLine, RecurringInvoice, utcnow
from models.bulk_rows import insert_rows
from models.states import InvoiceStatus
from services.audit import audit_many
from services.billing.phases.generate_due import Advance, Period
from services.billing.policy import charge_date, first_charge_state
from services.dates import format_day
from services.invoices.views import line_rows, priced

ACTOR = "system:run"


def notes(period: Period, locale: str) -> str:
    start, end = format_day(period.start, locale), format_day(period.end, locale)
    return f"{period.rec.description}: {start} to {end}."


def insert_invoices(business: Business, periods: list[Period], lines: dict) -> None:
    """The invoices, lines, billing rows and audit rows of a batch: one statement each."""
    first = business.next_invoice_number
    Business.update(next_invoice_number=first + len(periods)).where(
        Business.id == business.id
    ).execute()
    now = utcnow()
    invoices: list[dict[str, Any]] = []
    amounts = []
    for i, period in enumerate(periods):
        rec = period.rec
        rows = priced(lines[rec.id])
        subtotal, tax = sum(r[2] for r in rows), sum(r[3] for r in rows)
        amounts.append(rows)
        invoices.append(
            {
                "business": business.id,
                "client": rec.client_id,
                "number": f"{business.invoice_prefix}{first + i:04d}",
                "currency": business.currency,
                "issue_date": period.start,
                "due_date": period.start + timedelta(days=rec.due_days),
                "status": InvoiceStatus.SENT,
                "subtotal": subtotal,
                "tax_total": tax,
                "total": subtotal + tax,
                "notes": notes(period, business.locale),
                "recurring": rec.id,
                "period_start": period.start,
                "autobill": first_charge_state(rec)[0],
                "sent_at": now,
                "created_at": now,
            }
        )
    insert_rows(Invoice, invoices)
    numbers = [row["number"] for row in invoices]
    found = (
        Invoice.select(Invoice.number, Invoice.id)
        .where((Invoice.business == business.id) & Invoice.number.in_(numbers))
        .tuples()
    )
    ids: dict[str, int] = dict(cast("Iterable[tuple[str, int]]", found))
    insert_rows(
        InvoiceLine,
        [
            line_row
            for row, rows in zip(invoices, amounts, strict=True)
            for line_row in line_rows(ids[row["number"]], rows)
        ],
    )
    insert_rows(
        InvoiceBilling,
        [
            {
                "invoice": ids[row["number"]],
                "recurring": period.rec.id,
                "charge_state": first_charge_state(period.rec)[1],
                "charge_on": charge_date(business, row["issue_date"], row["due_date"]),
                "updated_at": now,
            }
            for row, period in zip(invoices, periods, strict=True)
        ],
    )
    audit_many(
        ACTOR,
        "invoice.created",
        ((row["number"], {"client": row["client"], "total": row["total"]}) for row in invoices),
    )


def advance_schedules(advances: dict[int, Advance]) -> None:
    """Move the schedules on: one UPDATE per distinct (next date, count, status)."""
    groups: dict[tuple[date, int, str], list[int]] = defaultdict(list)
    for rid, adv in advances.items():
        groups[(adv.next_date, adv.count, adv.status)].append(rid)
    for (next_date, count, status), ids in groups.items():
        RecurringInvoice.update(next_date=next_date, generated_count=count, status=status).where(
            RecurringInvoice.id.in_(ids)
        ).execute()
