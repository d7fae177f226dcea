"""One `paydesk run` pass: reconcile, generate, email, auto-charge (with retries), remind.

Each phase is an object in services/billing/phases/ with `plan()` (what it would do: the dry
run) and `run()`, both deciding what is due by the same queries; each returns its own result,
and the runner only orders the phases and sums their results into a `RunSummary`.

Safe to run from cron as often as you like, two at once, or after a crash:
* generation writes one invoice per (recurring invoice, period) and advances the schedule in
  the same transaction, under the unique index on (recurring, period_start) (REC-02);
* each email has an event key, so it is mailed at most once; the invoice email is retried
  on the next pass until the mail log says it went out;
* each charge goes through `PaymentService.pay` with a guard that claims the invoice inside
  pay()'s lock (see services/billing/autobill.py), so no period is charged twice;
* attempts a crash left open are finished first (reconcile), so nothing stays unrecorded.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from models import BillingRun, Business, utcnow
from services.billing.autobill import Autobiller
from services.billing.phases.charge import ChargePhase
from services.billing.phases.charge_notices import FailureNotices
from services.billing.phases.context import Phase, ProgressFn, RunContext
from services.billing.phases.email import EmailPhase
from services.billing.phases.generate import GeneratePhase
from services.billing.phases.reconcile import ReconcilePhase
from services.billing.phases.remind import RemindPhase
from services.billing.summary import PhaseResult, RunSummary
from services.clock import business_today
from services.emails.billing import Door
from services.faults import pause_point
from services.settings.store import effective

if TYPE_CHECKING:
    from services.container import Services

log = logging.getLogger("paydesk.run")


class BillingRunner:
    """Runs the pass. Collaborators are the app's services; nothing here imports Textual."""

    def __init__(
        self,
        invoices,
        payments,
        mailer,
        access_codes,
        config,
        retry_days: tuple[int, ...] | None = None,
        reminder_days: tuple[int, ...] | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.invoices = invoices
        self.payments = payments
        self.mailer = mailer
        self.access_codes = access_codes
        self.config = config
        # The console's stored schedules and SSH door over paydesk.toml's and the env's.
        now = effective(config)
        self.retry_days = tuple(now.retry_days if retry_days is None else retry_days)
        reminders = now.reminder_days if reminder_days is None else reminder_days
        self.reminder_days = tuple(sorted(reminders))
        self.progress = progress or (lambda phase, done, total: None)
        self.autobiller = Autobiller(payments, self.retry_days)
        self.door = Door(now.ssh_host, now.ssh_port, config.public_url)
        self.stripe: Any = None  # the throttled client, when built by make_runner
        self.results: dict[str, PhaseResult] = {}  # the last pass's, phase by phase
        self.phases: list[Phase] = [  # in this order
            ReconcilePhase(payments, self.autobiller, config),
            GeneratePhase(invoices),
            EmailPhase(mailer, access_codes, self.door, config),
            ChargePhase(payments, self.autobiller, FailureNotices(invoices, mailer, self.door)),
            RemindPhase(invoices, mailer, self.door, self.reminder_days, access_codes),
        ]

    def run(
        self, as_of: date | None = None, dry_run: bool = False, now: datetime | None = None
    ) -> RunSummary:
        began = time.perf_counter()
        now = now or datetime.now(UTC)
        businesses = list(Business.select().order_by(Business.id))
        today = {b.id: as_of or business_today(b.timezone, now) for b in businesses}
        summary = RunSummary(
            as_of=str(as_of or (today[businesses[0].id] if businesses else now.date())),
            dry_run=dry_run,
        )
        ctx = RunContext(businesses, today, self.progress)
        self.results = {}
        record = None
        if not dry_run:
            record = BillingRun.create(as_of=as_of, dry_run=False)
        try:
            for phase in self.phases:
                t0 = time.perf_counter()
                result = phase.plan(ctx) if dry_run else phase.run(ctx)
                result.add_to(summary)
                self.results[phase.name] = result
                summary.phases[phase.name] = round(time.perf_counter() - t0, 4)
                if not dry_run:
                    pause_point(f"run:after_{phase.name}")
        except Exception as exc:
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            if record is not None:
                BillingRun.update(
                    status="failed", finished_at=utcnow(), error=summary.errors[-1][:2000]
                ).where(BillingRun.id == record.id).execute()
            raise
        summary.seconds = round(time.perf_counter() - began, 3)  # what is stored and shown
        if record is not None:
            BillingRun.update(status="done", finished_at=utcnow(), summary=summary.to_json()).where(
                BillingRun.id == record.id
            ).execute()
        log.info("run: %s", summary.line())
        return summary


def last_runs(limit: int = 10) -> list[dict]:
    return [
        {
            "started_at": str(r.started_at),
            "finished_at": str(r.finished_at) if r.finished_at else None,
            "status": r.status,
            "summary": json.loads(r.summary or "{}"),
        }
        for r in BillingRun.select().order_by(BillingRun.id.desc()).limit(limit)
    ]


def make_runner(
    services: Services, progress: ProgressFn | None = None, rate: float | None = None
) -> BillingRunner:
    """The runner the CLI and the bench use: Stripe calls capped at the configured rate."""
    from services.payments.payments import PaymentService
    from services.stripe_client.rate_limit import RateLimiter, ThrottledStripe, default_rate

    limiter = RateLimiter(default_rate(services.config) if rate is None else rate)
    throttled = ThrottledStripe(services.payments.stripe, limiter)
    payments = PaymentService(cast(Any, throttled), services.mailer, services.config)
    payments.receipts.defer()  # the run's receipts go out together when the charges are done
    runner = BillingRunner(
        services.invoices,
        payments,
        services.mailer,
        services.codes,
        services.config,
        progress=progress,
    )
    runner.stripe = throttled
    return runner
