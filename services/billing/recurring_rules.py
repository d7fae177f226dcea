"""What a recurring schedule must be (the owner's add and edit share it), and where an edited
schedule goes on from."""

from __future__ import annotations

from datetime import date

from models import Business, RecurringInvoice
from services.billing.recurring_views import AUTOBILL_LABELS
from services.billing.schedule import first_on_or_after, parse_frequency
from services.errors import PaydeskError
from services.invoices.rules import due_days_problem, lines_problem
from services.invoices.views import LineInput
from services.text import refuse_controls


class RecurringError(PaydeskError):
    """A recurring-invoice operation that cannot be done; the message says why."""


def check_mode(mode: str) -> None:
    if mode not in AUTOBILL_LABELS:
        raise RecurringError(f"unknown auto-bill mode {mode!r}; use always, optout, optin or off")


def checked_schedule(
    business: Business,
    description: str,
    frequency: str,
    anchor_date: date,
    lines: list[LineInput],
    end_date: date | None,
    max_count: int | None,
    due_days: int | None,
) -> str:
    """The stored frequency of a schedule the business would mean; else RecurringError."""
    frequency = parse_frequency(frequency)
    if not description.strip():
        raise RecurringError("a recurring invoice needs a description")
    texts = {f"line {n}": line.description for n, line in enumerate(lines, 1)}
    refuse_controls(RecurringError, {"description": description, **texts})
    if end_date is not None and end_date < anchor_date:
        raise RecurringError("the end date is before the anchor date")
    if max_count is not None and max_count < 1:
        raise RecurringError("the count must be at least 1")
    problem = lines_problem(lines, business.currency)
    if not problem and due_days is not None:
        problem = due_days_problem(due_days)
    if problem:
        raise RecurringError(problem)
    return frequency


def next_after_edit(rec: RecurringInvoice, anchor: date, frequency: str, today: date) -> date:
    """The next date of `rec` given a new anchor or frequency: unchanged if neither changed;
    else the new schedule's first period on or after the old next date once it has billed
    (a billed period is never billed again), or on or after today and the anchor before
    (a past anchor starts at the next period, as `recurring add` does)."""
    if anchor == rec.anchor_date and frequency == rec.frequency:
        return rec.next_date
    start = rec.next_date if rec.generated_count else max(anchor, today)
    return first_on_or_after(anchor, frequency, start)
