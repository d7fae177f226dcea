"""What every phase of a pass reads, and the little the phases hand on to later ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from models import Business, RecurringLine
from services.billing.phases.generate_due import Period
from services.billing.summary import PhaseResult
from services.clock import business_today

ProgressFn = Callable[[str, int, int], None]


@dataclass
class RunContext:
    """One pass: the businesses, each one's today, and what earlier phases decided."""

    businesses: list[Business]
    today: dict[int, date]
    progress: ProgressFn = lambda phase, done, total: None
    # Invoices the charge phase handled (or would): no overdue reminder on top of that mail.
    charged: set[int] = field(default_factory=set)
    # The invoices a dry run's generate would issue: the email and charge plans count them.
    new_periods: list[Period] = field(default_factory=list)
    # Their schedules' lines, as generate's plan read them (the overview prices them).
    new_lines: dict[int, list[RecurringLine]] = field(default_factory=dict)

    def latest_today(self) -> date:
        return max(self.today.values()) if self.today else business_today("UTC")


class Phase(Protocol):
    """One step of the pass. `plan()` says what `run()` would do, by the same rules."""

    name: str

    def plan(self, ctx: RunContext) -> PhaseResult: ...

    def run(self, ctx: RunContext) -> PhaseResult: ...
