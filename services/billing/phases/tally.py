"""How auto-charge outcomes are counted in a pass's summary (reconcile and charge both do)."""

from __future__ import annotations

from dataclasses import dataclass

from services.billing.autobill import Outcome
from services.billing.summary import PhaseResult


@dataclass
class ChargeTally(PhaseResult):
    """Charged, declined (a retry scheduled among them) and action-needed outcomes."""

    charged: int = 0
    declined: int = 0
    retry_scheduled: int = 0
    action_needed: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome.kind == "charged":
            self.charged += 1
        elif outcome.kind in ("declined", "exhausted", "no_card"):
            self.declined += 1
        elif outcome.kind == "retry":
            self.declined += 1
            self.retry_scheduled += 1
        elif outcome.kind == "action_needed":
            self.action_needed += 1
