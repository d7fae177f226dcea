"""The run's first phase: issue every due period's invoice, a few hundred per transaction.

One batch is one write transaction: it locks the batch's schedules (in id order) and then
the business row, skips periods whose invoice already exists, takes consecutive invoice
numbers, writes the invoices, their lines, billing rows and audit rows with one statement
each, and advances the schedules. Numbers stay gap-free (they are taken and used in the
same transaction) and the unique (recurring, period_start) index still guards every
period. A batch that meets an integrity error anyway is rolled back and redone one period
per transaction (`generate_one`), the way the run always did it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import peewee

from models import (
    Business,
    Invoice,
    InvoiceBilling,
    InvoiceLine,
    RecurringInvoice,
    RecurringLine,
    db,
    lock_rows,
    utcnow,
    write_lock,
)
from models.bulk_rows import insert_rows
from services.audit import audit_many
from services.billing.policy import charge_date, first_charge_state
from services.billing.schedule import index_on_or_after, period_date, period_end
from services.faults import pause_point
from services.invoices.invoices import InvoiceError, LineInput, line_rows, priced

log = logging.getLogger("paydesk.run")

BATCH = 200  # invoices per transaction
ACTOR = "system:run"


@dataclass
class GenerateResult:
    """What the generate phase did."""

    generated: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Period:
    rec: RecurringInvoice
    start: date
    end: date


@dataclass
class _Advance:
    """A schedule's state after the batch: next date, count, status."""

    next_date: date
    count: int
    status: str


class Generator:
    """Issues due invoices in batches; `invoices` is the InvoiceService (for the slow path)."""

    def __init__(self, invoices, batch: int = BATCH) -> None:
        self.invoices = invoices
        self.batch = batch

    def run(
        self,
        businesses: list[Business],
        today: dict[int, date],
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> GenerateResult:
        result = GenerateResult()
        due: list[tuple[int, int]] = []
        for business in businesses:
            due += [
                (rec.id, business.id)
                for rec in RecurringInvoice.select(RecurringInvoice.id)
                .where(
                    (RecurringInvoice.business == business.id)
                    & (RecurringInvoice.status == "active")
                    & (RecurringInvoice.next_date <= today[business.id])
                )
                .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
            ]
        total = len(due)
        progress(0, total)
        done = 0
        while due:
            business_id = due[0][1]
            chunk = [rid for rid, bid in due[: self.batch] if bid == business_id]
            errors: list[str] = []
            try:
                made, unfinished = self.generate_batch(
                    business_id, chunk, today[business_id], errors
                )
            except peewee.IntegrityError:
                log.warning("a batch met an existing invoice; issuing one period at a time")
                errors = []
                made, unfinished = self._one_by_one(chunk, today[business_id], errors), []
            result.generated += made
            result.errors += errors
            taken = set(chunk)
            due = [(rid, business_id) for rid in unfinished] + [
                item for item in due if item[0] not in taken
            ]
            done += len(chunk) - len(unfinished)
            if made:
                pause_point("run:generated_one")
            progress(done, total)
        return result

    def generate_batch(
        self, business_id: int, recurring_ids: list[int], today: date, errors: list | None = None
    ) -> tuple[int, list[int]]:
        """Issue up to `batch` invoices for these schedules in one transaction.

        Returns (invoices made, schedules still due because the batch was full).
        """
        made: list[_Period] = []
        advances: dict[int, _Advance] = {}
        unfinished: list[int] = []
        with write_lock():
            recs = list(
                lock_rows(
                    RecurringInvoice.select()
                    .where(RecurringInvoice.id.in_(recurring_ids))
                    .order_by(RecurringInvoice.id)
                )
            )
            order = {rid: i for i, rid in enumerate(recurring_ids)}
            recs.sort(key=lambda r: order[r.id])  # the pass's order: by next date, then id
            lines = _lines_of([r.id for r in recs])
            business = lock_rows(Business.select().where(Business.id == business_id)).get()
            for rec in recs:
                if rec.status != "active" or rec.next_date > today:
                    continue
                problem = _invalid(lines.get(rec.id, []))
                if problem:
                    if errors is not None:
                        errors.append(f"recurring {rec.id}: {problem}")
                    continue
                room = self.batch - len(made)
                periods, advance, more = _due_periods(rec, today, room)
                made += periods
                if (advance.next_date, advance.count, advance.status) != (
                    rec.next_date,
                    rec.generated_count,
                    rec.status,
                ):
                    advances[rec.id] = advance
                if more:
                    unfinished.append(rec.id)
            existing = _existing(made)
            new = [p for p in made if (p.rec.id, p.start) not in existing]
            if new:
                _insert(business, new, lines)
            _advance(advances)
            pause_point("run:generate_batch")  # a kill here rolls the whole batch back
        return len(new), unfinished

    def _one_by_one(self, recurring_ids: list[int], today: date, errors: list[str]) -> int:
        made = 0
        for rid in recurring_ids:
            while True:
                try:
                    invoice_id = self.generate_one(rid, today)
                except InvoiceError as exc:
                    errors.append(f"recurring {rid}: {exc}")
                    break
                if invoice_id is None:
                    break
                if invoice_id:
                    made += 1
        return made

    def generate_one(self, recurring_id: int, today: date) -> int | None:
        """Issue the next due period's invoice and advance the schedule, in one transaction.

        Returns the new invoice's id; 0 when the period's invoice already existed (the
        schedule still moves on); None when nothing is due.
        """
        with write_lock():
            rec = lock_rows(
                RecurringInvoice.select().where(RecurringInvoice.id == recurring_id)
            ).get_or_none()
            if rec is None or rec.status != "active" or rec.next_date > today:
                return None
            periods, advance, _ = _due_periods(rec, rec.next_date, 1)
            _advance({rec.id: advance})
            if not periods:
                return None
            period = periods[0]
            lines = [
                LineInput(ln.description, ln.unit_price, ln.quantity_milli, ln.tax_rate_bp)
                for ln in _lines_of([rec.id]).get(rec.id, [])
            ]
            try:
                with db.atomic():
                    detail = self.invoices.create(
                        rec.client_id,
                        lines,
                        issue_date=period.start,
                        due_date=period.start + timedelta(days=rec.due_days),
                        notes=_notes(period),
                        recurring_id=rec.id,
                        period_start=period.start,
                        actor=ACTOR,
                    )
            except peewee.IntegrityError:
                return 0  # the unique (recurring, period_start) index: already made
            business = Business.get_by_id(rec.business_id)
            on, state = first_charge_state(rec)
            Invoice.update(autobill=on).where(Invoice.id == detail.id).execute()
            InvoiceBilling.create(
                invoice=detail.id,
                recurring=rec.id,
                charge_state=state,
                charge_on=charge_date(business, detail.issue_date, detail.due_date),
            )
        return detail.id


def _due_periods(
    rec: RecurringInvoice, today: date, room: int
) -> tuple[list[_Period], _Advance, bool]:
    """The periods due by `today` (at most `room`), the schedule after them, and whether
    more periods are still due."""
    periods: list[_Period] = []
    next_date, count, status = rec.next_date, rec.generated_count, rec.status
    while next_date <= today:
        ended = (rec.max_count is not None and count >= rec.max_count) or (
            rec.end_date is not None and next_date > rec.end_date
        )
        if ended:
            status = "ended"
            break
        if len(periods) >= room:
            return periods, _Advance(next_date, count, status), True
        n = index_on_or_after(rec.anchor_date, rec.frequency, next_date)
        periods.append(_Period(rec, next_date, period_end(rec.anchor_date, rec.frequency, n)))
        next_date = period_date(rec.anchor_date, rec.frequency, n + 1)
        count += 1
        done = (rec.max_count is not None and count >= rec.max_count) or (
            rec.end_date is not None and next_date > rec.end_date
        )
        if done:
            status = "ended"
            break
    return periods, _Advance(next_date, count, status), False


def _lines_of(recurring_ids: list[int]) -> dict[int, list[RecurringLine]]:
    found: dict[int, list[RecurringLine]] = defaultdict(list)
    if recurring_ids:
        for line in (
            RecurringLine.select()
            .where(RecurringLine.recurring.in_(recurring_ids))
            .order_by(RecurringLine.recurring, RecurringLine.position)
        ):
            found[line.recurring_id].append(line)
    return found


def _invalid(lines: list[RecurringLine]) -> str:
    """What `InvoiceService.create` would refuse, as its message ("" when fine)."""
    if not lines:
        return "an invoice needs at least one line"
    for line in lines:
        if line.quantity_milli <= 0 or line.unit_price < 0 or line.tax_rate_bp < 0:
            return f"line {line.description!r}: quantity, price or tax is invalid"
    return ""


def _existing(periods: list[_Period]) -> set[tuple[int, date]]:
    """(recurring, period_start) pairs of these periods whose invoice already exists."""
    if not periods:
        return set()
    rows = (
        Invoice.select(Invoice.recurring, Invoice.period_start)
        .where(
            Invoice.recurring.in_({p.rec.id for p in periods})
            & Invoice.period_start.in_({p.start for p in periods})
        )
        .tuples()
    )
    return set(cast("Iterable[tuple[int, date]]", rows))


def _notes(period: _Period) -> str:
    return f"{period.rec.description}: {period.start:%d %b %Y} to {period.end:%d %b %Y}."


def _insert(business: Business, periods: list[_Period], lines: dict) -> None:
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
                "status": "sent",
                "subtotal": subtotal,
                "tax_total": tax,
                "total": subtotal + tax,
                "notes": _notes(period),
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


def _advance(advances: dict[int, _Advance]) -> None:
    """Move the schedules on: one UPDATE per distinct (next date, count, status)."""
    groups: dict[tuple[date, int, str], list[int]] = defaultdict(list)
    for rid, adv in advances.items():
        groups[(adv.next_date, adv.count, adv.status)].append(rid)
    for (next_date, count, status), ids in groups.items():
        RecurringInvoice.update(next_date=next_date, generated_count=count, status=status).where(
            RecurringInvoice.id.in_(ids)
        ).execute()
