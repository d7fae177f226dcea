"""A schedule's next invoices (date and amount) by the rules the run issues them with.

The dates come from `due_periods`, the generate phase's own function, walked forward as
successive runs would walk it; the amounts from `priced`, with which the run prices each
invoice. A paused schedule is previewed as if resumed today (as `resume` computes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models import RecurringInvoice
from services.billing.phases.generate_due import due_periods
from services.billing.schedule import first_on_or_after
from services.invoices.views import priced

PREVIEW = 6
# what due_periods reads of a schedule, besides its next date and status
WALKED = ("anchor_date", "frequency", "generated_count", "max_count", "end_date")


@dataclass(frozen=True)
class PreviewDate:
    """One invoice the schedule will issue: its period's start (issue date) and its total."""

    day: date
    amount: int


def invoice_total(lines: Iterable[Any]) -> int:
    """What the run's invoice for these lines totals (LineInputs or RecurringLines)."""
    return sum(row.amount + row.tax for row in priced(lines))


def preview(
    rec: RecurringInvoice, lines: Iterable[Any], today: date, count: int = PREVIEW
) -> tuple[PreviewDate, ...]:
    """The next `count` invoices of `rec` (saved or not), none once it is cancelled or ended."""
    if rec.status not in ("active", "paused"):
        return ()
    next_date = rec.next_date
    if rec.status == "paused":
        next_date = first_on_or_after(rec.anchor_date, rec.frequency, max(next_date, today))
    kept = {name: getattr(rec, name) for name in WALKED}
    walker = RecurringInvoice(**kept, next_date=next_date, status="active")
    periods, _, _ = due_periods(walker, date.max, count)
    total = invoice_total(lines)
    return tuple(PreviewDate(period.start, total) for period in periods)
