"""The run's second phase: issue every due period's invoice, a few hundred per transaction.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import peewee

from models import (
    Business,
    Invoice,
    InvoiceBilling,
    RecurringInvoice,
    RecurringLine,
    db,
    lock_rows,
    write_lock,
)
from models.bulk_rows import chunks
from services.billing.phases.context import RunContext
from services.billing.phases.generate_due import (
    Advance,
    Period,
    due_periods,
    due_schedules,
    existing_periods,
    lines_of,
)
from services.billing.phases.generate_rows import (
    ACTOR,
    advance_schedules,
    insert_invoices,
    notes,
)
from services.billing.phases.labels import client_names
from services.billing.policy import charge_date, first_charge_state
from services.billing.summary import PhaseResult
from services.faults import pause_point
from services.invoices.invoices import InvoiceError
from services.invoices.rules import due_days_problem, lines_problem
from services.invoices.views import LineInput

log = logging.getLogger("paydesk.run")

BATCH = 200  # invoices per transaction


@dataclass
class GenerateResult(PhaseResult):
    """Invoices issued (dry: to issue); a schedule that cannot be issued is an error."""

    generated: int = 0


class GeneratePhase:
    """Issues every due period's invoice; the plan lists the periods by the same rules."""

    name = "generate"

    def __init__(self, invoices) -> None:
        self.generator = Generator(invoices)

    def plan(self, ctx: RunContext) -> GenerateResult:
        result = GenerateResult()
        for business in ctx.businesses:
            periods, lines = periods_and_lines(business, ctx.today[business.id], result.errors)
            ctx.new_lines.update(lines)
            names = client_names({period.rec.client_id for period in periods})
            for period in periods:
                ctx.new_periods.append(period)
                result.generated += 1
                result.planned.append(
                    f"generate {period.rec.description!r} for {names[period.rec.client_id]}, "
                    f"period {period.start}"
                )
        return result

    def run(self, ctx: RunContext) -> GenerateResult:
        return self.generator.run(
            ctx.businesses, ctx.today, lambda done, total: ctx.progress(self.name, done, total)
        )


def new_periods(business: Business, today: date, errors: list[str]) -> list[Period]:
    """The periods whose invoice the pass would issue (not made yet); a schedule whose lines
    would be refused is named in `errors` instead."""
    return periods_and_lines(business, today, errors)[0]


def periods_and_lines(
    business: Business, today: date, errors: list[str]
) -> tuple[list[Period], dict[int, list[RecurringLine]]]:
    """`new_periods`, and the lines of the schedules they belong to (read once)."""
    found: list[Period] = []
    recs = list(due_schedules(business.id, today))
    lines = lines_of([rec.id for rec in recs])
    for rec in recs:
        problem = _refused(rec, lines, business.currency)
        if problem:
            errors.append(f"recurring {rec.id}: {problem}")
            continue
        periods, _, _ = due_periods(rec, today)
        found += periods
    made: set[tuple[int, date]] = set()
    for part in chunks(found, 500):  # one statement per 500 periods, not one per schedule
        made |= existing_periods(list(part))
    return [period for period in found if (period.rec.id, period.start) not in made], lines


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
        total = 0  # invoices to issue, as the summary counts them (not schedules)
        for business in businesses:
            due += [
                (rec.id, business.id)
                for rec in due_schedules(business.id, today[business.id], RecurringInvoice.id)
            ]
            total += len(new_periods(business, today[business.id], []))
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
            done += made
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
        made: list[Period] = []
        advances: dict[int, Advance] = {}
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
            lines = lines_of([r.id for r in recs])
            business = lock_rows(Business.select().where(Business.id == business_id)).get()
            for rec in recs:
                if rec.status != "active" or rec.next_date > today:
                    continue
                problem = _refused(rec, lines, business.currency)
                if problem:
                    if errors is not None:
                        errors.append(f"recurring {rec.id}: {problem}")
                    continue
                room = self.batch - len(made)
                periods, advance, more = due_periods(rec, today, room)
                made += periods
                if (advance.next_date, advance.count, advance.status) != (
                    rec.next_date,
                    rec.generated_count,
                    rec.status,
                ):
                    advances[rec.id] = advance
                if more:
                    unfinished.append(rec.id)
            existing = existing_periods(made)
            new = [p for p in made if (p.rec.id, p.start) not in existing]
            if new:
                insert_invoices(business, new, lines)
            advance_schedules(advances)
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
            periods, advance, _ = due_periods(rec, rec.next_date, 1)
            advance_schedules({rec.id: advance})
            if not periods:
                return None
            period = periods[0]
            lines = [
                LineInput(ln.description, ln.unit_price, ln.quantity_milli, ln.tax_rate_bp)
                for ln in lines_of([rec.id]).get(rec.id, [])
            ]
            try:
                with db.atomic():
                    detail = self.invoices.create(
                        rec.client_id,
                        lines,
                        issue_date=period.start,
                        due_date=period.start + timedelta(days=rec.due_days),
                        notes=notes(period, rec.business.locale),
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


def _refused(rec: RecurringInvoice, lines: dict, currency: str) -> str:
    """Why this schedule's next invoice would be refused ("" when it would not)."""
    return lines_problem(lines.get(rec.id, []), currency) or due_days_problem(rec.due_days)
