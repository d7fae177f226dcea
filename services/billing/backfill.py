"""A new recurring invoice whose first period is in the past: its past periods, on request.

`paydesk recurring add` starts a schedule with a past anchor at its next period. Asked to
back-fill, it issues the past periods' invoices at once, in the transaction that creates
the schedule (so no `paydesk run` sees the schedule before they are marked): the run emails
them as past due, and auto-charges them only when asked to (`--backfill charge`).
"""

from __future__ import annotations

from datetime import date, timedelta

from models import Invoice, InvoiceBilling, RecurringInvoice, write_lock
from models.states import ChargeState
from services.audit import audit
from services.billing.phases.generate import Generator
from services.billing.recurring_views import RecurringDetail
from services.invoices.invoices import InvoiceService


def add_with_backfill(
    recurring, today: date, charge: bool, actor: str = "cli", address: str = "", **schedule
) -> tuple[RecurringDetail, list[str]]:
    """`recurring.add(**schedule)` and the invoices of its periods before `today` (numbers)."""
    with write_lock():
        detail = recurring.add(actor=actor, address=address, **schedule)
        numbers = _issue_past_periods(detail.view.id, today, charge)
        audit(
            actor,
            "recurring.backfilled",
            f"recurring:{detail.view.id}",
            {"invoices": len(numbers), "charge": charge},
            address,
        )
    return recurring.show(detail.view.id), numbers


def _issue_past_periods(recurring_id: int, today: date, charge: bool) -> list[str]:
    rec = RecurringInvoice.get_by_id(recurring_id)
    generator = Generator(InvoiceService())
    yesterday = today - timedelta(days=1)
    while generator.generate_batch(rec.business_id, [rec.id], yesterday)[1]:
        pass  # a batch was full: the next one goes on from where it stopped
    issued = list(
        Invoice.select(Invoice.id, Invoice.number)
        .where(Invoice.recurring == rec.id)
        .order_by(Invoice.period_start)
    )
    ids = [inv.id for inv in issued]
    if ids and not charge:
        InvoiceBilling.update(charge_state=ChargeState.NONE).where(
            InvoiceBilling.invoice.in_(ids)
        ).execute()
        Invoice.update(autobill=False).where(Invoice.id.in_(ids)).execute()
    return [inv.number for inv in issued]
