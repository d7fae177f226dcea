"""The pass's fourth phase: auto-charge every invoice whose charge (or retry) is due.

Each charge goes through `Autobiller.charge` (services/billing/autobill.py): one invoice at a
time, through the exactly-once payment path, claimed inside pay()'s lock. Receipts go out
together once the charges are done; then every failure is emailed once (charge_notices.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from models import Invoice
from models.states import ChargeState
from services.billing.autobill import Autobiller, charge_due
from services.billing.phases.charge_notices import FailureNotices
from services.billing.phases.context import RunContext
from services.billing.phases.labels import client_names, invoice_labels
from services.billing.phases.tally import ChargeTally
from services.billing.policy import charge_date, first_charge_state
from services.faults import pause_point

log = logging.getLogger("paydesk.run")


@dataclass
class ChargeResult(ChargeTally):
    """The charges' outcomes (dry: every due charge counted as charged) and failed emails."""

    email_failed: int = 0
    # The invoices charged (dry: to charge), in order; ones the plan would generate excluded.
    invoices: list[int] = field(default_factory=list)


class ChargePhase:
    """Charges the due invoices; the plan lists them, and the due ones it would generate."""

    name = "charge"

    def __init__(self, payments, autobiller: Autobiller, notices: FailureNotices) -> None:
        self.payments = payments
        self.autobiller = autobiller
        self.notices = notices

    @staticmethod
    def due(ctx: RunContext) -> list[tuple[int, date]]:
        """(invoice, the business's today) for every charge due now, business by business."""
        rows = []
        for business in ctx.businesses:
            today = ctx.today[business.id]
            rows += [
                (row.invoice_id, today)
                for row in charge_due(today).where(Invoice.business == business.id)
            ]
        return rows

    def plan(self, ctx: RunContext) -> ChargeResult:
        rows = self.due(ctx)
        result = ChargeResult(charged=len(rows), invoices=[invoice_id for invoice_id, _ in rows])
        labels = invoice_labels(result.invoices)
        result.planned = [f"charge {labels[invoice_id]}" for invoice_id in result.invoices]
        businesses = {business.id: business for business in ctx.businesses}
        names = client_names({period.rec.client_id for period in ctx.new_periods})
        for period in ctx.new_periods:
            rec = period.rec
            _, state = first_charge_state(rec)
            due = period.start + timedelta(days=rec.due_days)
            when = charge_date(businesses[rec.business_id], period.start, due)
            if state == ChargeState.SCHEDULED and when <= ctx.today[rec.business_id]:
                result.charged += 1
                result.planned.append(
                    f"charge {rec.description!r} for {names[rec.client_id]}, period {period.start}"
                )
        ctx.charged.update(result.invoices)
        return result

    def run(self, ctx: RunContext) -> ChargeResult:
        result = ChargeResult()
        rows = self.due(ctx)
        total = len(rows)
        ctx.progress(self.name, 0, total)
        for done, (invoice_id, day) in enumerate(rows, 1):
            try:
                outcome = self.autobiller.charge(invoice_id, day)
            except Exception as exc:  # noqa: BLE001 - one bad invoice never stops the pass
                log.exception("invoice %s: auto-charge failed", invoice_id)
                result.errors.append(f"charge invoice {invoice_id}: {type(exc).__name__}")
                outcome = None
            if outcome is not None:
                result.invoices.append(invoice_id)
                ctx.charged.add(invoice_id)
                result.count(outcome)
                pause_point("run:charged_one")
            ctx.progress(self.name, done, total)
        flush = getattr(self.payments, "flush_receipts", None)
        if flush is not None:
            flush()  # receipts go out in the background; the pass ends when they are sent
        result.email_failed = self.notices.send()
        return result
