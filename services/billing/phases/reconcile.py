"""The pass's first phase: settle payment attempts a crash left open, then the auto-charges
that were waiting on them (billing rows left `charging`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.billing.autobill import Autobiller
from services.billing.phases.context import RunContext
from services.billing.phases.labels import client_names
from services.billing.phases.tally import ChargeTally
from services.money import format_money


@dataclass
class ReconcileResult(ChargeTally):
    """Attempts settled (dry: to settle), and what the charges waiting on them came to."""

    reconciled: int = 0


class ReconcilePhase:
    """Asks the payment service which attempts are due for settling, and settles them."""

    name = "reconcile"

    def __init__(self, payments, autobiller: Autobiller, config) -> None:
        self.payments = payments
        self.autobiller = autobiller
        self.config = config

    def _min_age(self) -> float:
        return self.config.run.reconcile_min_age

    def plan(self, ctx: RunContext) -> ReconcileResult:
        due = self.payments.reconcile_due(min_age_seconds=self._min_age())
        names = client_names({attempt.client_id for attempt, _ in due})
        return ReconcileResult(
            reconciled=len(due),
            planned=[
                f"reconcile a payment of {format_money(attempt.amount, attempt.currency)} by "
                f"{names[attempt.client_id]} ({attempt.status})"
                for attempt, _ in due
            ],
        )

    def run(self, ctx: RunContext) -> ReconcileResult:
        ctx.progress(self.name, 0, 1)
        report = self.payments.reconcile(min_age_seconds=self._min_age())
        result = ReconcileResult(
            reconciled=report.succeeded + report.failed + report.requires_action
        )
        for outcome in self.autobiller.settle_charging(ctx.latest_today()):
            result.count(outcome)
        ctx.progress(self.name, 1, 1)
        return result
