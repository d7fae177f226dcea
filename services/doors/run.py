"""The billing run's door: what `paydesk run` and `paydesk failures` (and later the admin
console) may ask of billing, typed, built from the services container."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services.billing.failures import FailureView, failures
from services.billing.phases.context import ProgressFn
from services.billing.run import make_runner
from services.billing.summary import RunSummary

if TYPE_CHECKING:
    from services.container import Services


class BillingRunDoor:
    """One billing pass (or its dry run) and the list of failures, over the app's services."""

    def __init__(self, services: Services, rate: float | None = None) -> None:
        self.services = services
        self.rate = rate

    def run_pass(
        self, as_of: date | None = None, dry_run: bool = False, progress: ProgressFn | None = None
    ) -> RunSummary:
        """One pass; Stripe calls capped at the configured rate (or `rate`)."""
        runner = make_runner(self.services, progress=progress, rate=self.rate)
        return runner.run(as_of=as_of, dry_run=dry_run)

    def failures(self, limit: int = 200) -> list[FailureView]:
        """Failed or retrying auto-charges and failed emails, newest first."""
        return failures(limit)
