"""One `paydesk run` pass: reconcile, generate, email, auto-charge (with retries), remind.

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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import formataddr
from typing import Any, cast

import peewee

from models import (
    BillingRun,
    Business,
    Client,
    EmailLog,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    RecurringInvoice,
    utcnow,
)
from services.billing.autobill import Autobiller, Outcome, charge_due
from services.billing.phases.email import InvoiceEmails
from services.billing.phases.generate import Generator
from services.billing.recurring import (
    autobill_effective,
    card_label,
    charge_date,
    default_card,
)
from services.billing.schedule import (
    card_expires_before,
    index_on_or_after,
    local_today,
    period_date,
)
from services.emails.billing import (
    Door,
    action_needed_email,
    card_expiring_email,
    charge_failed_email,
    no_card_email,
    overdue_email,
)
from services.faults import pause_point
from services.invoices.pdf_pool import default_workers

log = logging.getLogger("paydesk.run")

PHASES = ("reconcile", "generate", "email", "charge", "remind")
ProgressFn = Callable[[str, int, int], None]


@dataclass
class RunSummary:
    """What one pass did (or, with --dry-run, would do)."""

    as_of: str = ""
    dry_run: bool = False
    generated: int = 0
    emailed: int = 0
    email_failed: int = 0
    charged: int = 0
    declined: int = 0
    action_needed: int = 0
    retry_scheduled: int = 0
    reminded: int = 0
    reconciled: int = 0
    mail_retried: int = 0
    errors: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    planned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        verb = "would be " if self.dry_run else ""
        parts = [
            f"generated {self.generated}",
            f"emailed {self.emailed}",
            f"charged {self.charged}",
            f"declined {self.declined}",
            f"action needed {self.action_needed}",
            f"reconciled {self.reconciled}",
        ]
        extra = []
        if self.retry_scheduled:
            extra.append(f"retries scheduled {self.retry_scheduled}")
        if self.reminded:
            extra.append(f"reminders {self.reminded}")
        if self.email_failed:
            extra.append(f"emails failed {self.email_failed}")
        if self.errors:
            extra.append(f"errors {len(self.errors)}")
        head = "dry run: " + verb if self.dry_run else ""
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{head}{' · '.join(parts)}{tail} — as of {self.as_of}, {self.seconds:.1f}s"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


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
        self.retry_days = tuple(retry_days or config.run.retry_days)
        self.reminder_days = tuple(sorted(reminder_days or config.run.reminder_days))
        self.progress = progress or (lambda phase, done, total: None)
        self.autobiller = Autobiller(payments, self.retry_days)
        self.door = Door(config.ssh_host, config.ssh_port)
        self.stripe: Any = None  # the throttled client, when built by make_runner

    # --- the pass ---------------------------------------------------------------------------

    def run(
        self, as_of: date | None = None, dry_run: bool = False, now: datetime | None = None
    ) -> RunSummary:
        began = time.perf_counter()
        self._dry_generated: list = []
        self._touched: set[int] = set()  # charged this pass: no reminder on top of that mail
        now = now or datetime.now(UTC)
        businesses = list(Business.select().order_by(Business.id))
        today = {b.id: as_of or local_today(b.timezone, now) for b in businesses}
        summary = RunSummary(
            as_of=str(as_of or (today[businesses[0].id] if businesses else now.date())),
            dry_run=dry_run,
        )
        record = None
        if not dry_run:
            record = BillingRun.create(as_of=as_of, dry_run=False)
        try:
            for phase in PHASES:
                t0 = time.perf_counter()
                getattr(self, f"_{phase}")(businesses, today, summary, dry_run)
                summary.phases[phase] = round(time.perf_counter() - t0, 4)
                if not dry_run:
                    pause_point(f"run:after_{phase}")
        except Exception as exc:
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            if record is not None:
                BillingRun.update(
                    status="failed", finished_at=utcnow(), error=summary.errors[-1][:2000]
                ).where(BillingRun.id == record.id).execute()
            raise
        summary.seconds = time.perf_counter() - began
        if record is not None:
            BillingRun.update(status="done", finished_at=utcnow(), summary=summary.to_json()).where(
                BillingRun.id == record.id
            ).execute()
        log.info("run: %s", summary.line())
        return summary

    # --- 0. reconcile -----------------------------------------------------------------------

    def _reconcile(self, businesses, today, summary: RunSummary, dry_run: bool) -> None:
        if dry_run:
            open_attempts = PaymentAttempt.select().where(
                PaymentAttempt.status.in_(("created", "submitted", "unknown"))
            )
            summary.reconciled = open_attempts.count()
            for attempt in open_attempts:
                summary.planned.append(f"reconcile attempt {attempt.id} ({attempt.status})")
            return
        self.progress("reconcile", 0, 1)
        min_age = self.config.run.reconcile_min_age
        report = self.payments.reconcile(min_age_seconds=min_age)
        summary.reconciled = report.succeeded + report.failed + report.requires_action
        day = max(today.values()) if today else date.today()
        for outcome in self.autobiller.settle_charging(day):
            self._count(outcome, summary)
        self.progress("reconcile", 1, 1)

    # --- 1. generate ------------------------------------------------------------------------

    def _generate(self, businesses, today, summary: RunSummary, dry_run: bool) -> None:
        if not dry_run:
            result = Generator(self.invoices).run(
                businesses, today, lambda done, total: self.progress("generate", done, total)
            )
            summary.generated += result.generated
            summary.errors += result.errors
            return
        for business in businesses:
            for rec in (
                RecurringInvoice.select()
                .where(
                    (RecurringInvoice.business == business.id)
                    & (RecurringInvoice.status == "active")
                    & (RecurringInvoice.next_date <= today[business.id])
                )
                .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
            ):
                day = today[rec.business_id]
                for period in self._periods_due(rec, day):
                    self._dry_generated.append((rec, period, day))
                    summary.generated += 1
                    summary.planned.append(
                        f"generate {rec.description!r} for client {rec.client_id}, period {period}"
                    )

    @staticmethod
    def _periods_due(rec: RecurringInvoice, today: date) -> list[date]:
        periods = []
        n = index_on_or_after(rec.anchor_date, rec.frequency, rec.next_date)
        count = rec.generated_count
        while True:
            d = period_date(rec.anchor_date, rec.frequency, n)
            if d > today or (rec.end_date and d > rec.end_date):
                break
            if rec.max_count is not None and count >= rec.max_count:
                break
            periods.append(d)
            n += 1
            count += 1
        return periods

    # --- 2. email ---------------------------------------------------------------------------

    def _email(self, businesses, today, summary: RunSummary, dry_run: bool) -> None:
        if dry_run:
            pending = InvoiceBilling.select().where(InvoiceBilling.emailed_at.is_null())
            summary.emailed = pending.count() + summary.generated
            return
        summary.mail_retried = self.mailer.retry_failed()
        workers = self.config.run.pdf_workers
        emails = InvoiceEmails(
            self.mailer,
            self.access_codes,
            self.door,
            pdf_workers=default_workers() if workers is None else int(workers),
        )
        result = emails.run(lambda done, total: self.progress("email", done, total))
        summary.emailed += result.sent
        summary.email_failed += result.failed
        summary.errors += result.errors

    # --- 3. charge (and retry) --------------------------------------------------------------

    def _charge(self, businesses, today, summary: RunSummary, dry_run: bool) -> None:
        rows = []
        for business in businesses:
            rows += [
                (row.invoice_id, today[business.id])
                for row in charge_due(today[business.id]).where(Invoice.business == business.id)
            ]
        if dry_run:
            for invoice_id, _ in rows:
                summary.planned.append(f"charge invoice {invoice_id}")
            summary.charged = len(rows)
            for rec, period, day in self._dry_generated:
                business = Business.get_by_id(rec.business_id)
                due = period + timedelta(days=rec.due_days)
                if (
                    autobill_effective(rec.autobill_mode, rec.client_autobill)
                    and charge_date(business, period, due) <= day
                ):
                    summary.charged += 1
                    summary.planned.append(f"charge {rec.description!r} for period {period}")
            return
        total = len(rows)
        self.progress("charge", 0, total)
        for done, (invoice_id, day) in enumerate(rows, 1):
            try:
                outcome = self.autobiller.charge(invoice_id, day)
            except Exception as exc:  # noqa: BLE001 - one bad invoice never stops the pass
                log.exception("invoice %s: auto-charge failed", invoice_id)
                summary.errors.append(f"charge invoice {invoice_id}: {type(exc).__name__}")
                outcome = None
            if outcome is not None:
                self._touched.add(invoice_id)
                self._count(outcome, summary)
                pause_point("run:charged_one")
            self.progress("charge", done, total)
        flush = getattr(self.payments, "flush_receipts", None)
        if flush is not None:
            flush()  # receipts go out in the background; the pass ends when they are sent
        self._notify_failures(summary)

    @staticmethod
    def _count(outcome: Outcome, summary: RunSummary) -> None:
        if outcome.kind == "charged":
            summary.charged += 1
        elif outcome.kind in ("declined", "exhausted", "no_card"):
            summary.declined += 1
        elif outcome.kind == "retry":
            summary.declined += 1
            summary.retry_scheduled += 1
        elif outcome.kind == "action_needed":
            summary.action_needed += 1

    def _notify_failures(self, summary: RunSummary) -> None:
        """One email per failed attempt (and one per action-needed / no-card invoice).

        Driven by the billing rows, not by this pass's outcomes, so an email a crash
        interrupted is sent by the next pass; event keys keep each one to a single email.
        """
        since = utcnow() - timedelta(days=30)
        rows = InvoiceBilling.select().where(
            InvoiceBilling.charge_state.in_(
                ("retry", "exhausted", "declined", "action_needed", "no_card")
            )
            & (InvoiceBilling.updated_at >= since)
        )
        for row in rows:
            if row.charge_state == "action_needed":
                key = f"autobill-action:{row.invoice_id}"
            elif row.charge_state == "no_card":
                key = f"autobill-nocard:{row.invoice_id}"
            else:
                key = f"autobill-failed:{row.invoice_id}:{row.last_attempt_id}"
            if EmailLog.select().where(EmailLog.event_key == key).exists():
                continue
            detail = self.invoices.get(row.invoice_id)
            inv = Invoice.get_by_id(row.invoice_id)
            business = Business.get_by_id(inv.business_id)
            card = default_card(inv.client_id)
            label = card_label(card)
            attempt = (
                PaymentAttempt.get_or_none(PaymentAttempt.id == row.last_attempt_id)
                if row.last_attempt_id
                else None
            )
            if attempt is not None and attempt.payment_method_id:
                from models import PaymentMethod

                used = PaymentMethod.get_or_none(PaymentMethod.id == attempt.payment_method_id)
                label = card_label(used) or label
            if row.charge_state == "action_needed":
                message = action_needed_email(detail, label, self.door)
            elif row.charge_state == "no_card":
                message = no_card_email(detail, self.door)
            else:
                message = charge_failed_email(
                    detail,
                    label,
                    row.last_message or "the card was declined",
                    self.door,
                    row.next_try_on if row.charge_state == "retry" else None,
                    final=row.charge_state == "exhausted",
                )
            if not self.mailer.send(
                detail.client.email,
                message.subject,
                message.text,
                message.html,
                event_key=key,
                sender=formataddr((business.name, business.billing_email)),
            ):
                summary.email_failed += int(
                    EmailLog.select()
                    .where((EmailLog.event_key == key) & (EmailLog.status == "failed"))
                    .exists()
                )

    # --- 4. remind --------------------------------------------------------------------------

    def _remind(self, businesses, today, summary: RunSummary, dry_run: bool) -> None:
        plans = []
        for business in businesses:
            plans += self._card_reminders(business, today[business.id])
            plans += self._overdue_reminders(business, today[business.id])
        plans = [p for p in plans if not _sent(p[0])]
        if dry_run:
            summary.reminded = len(plans)
            summary.planned += [f"remind {key}" for key, _, _ in plans]
            return
        total = len(plans)
        self.progress("remind", 0, total)
        for done, (key, to, build) in enumerate(plans, 1):
            message, sender = build()
            if self.mailer.send(
                to, message.subject, message.text, message.html, event_key=key, sender=sender
            ):
                summary.reminded += 1
            self.progress("remind", done, total)

    def _card_reminders(self, business: Business, today: date) -> list:
        """One email per default card that expires before the client's next auto-charge."""
        next_charge: dict[int, date] = {}
        for rec in RecurringInvoice.select().where(
            (RecurringInvoice.business == business.id) & (RecurringInvoice.status == "active")
        ):
            if not autobill_effective(rec.autobill_mode, rec.client_autobill):
                continue
            if rec.max_count is not None and rec.generated_count >= rec.max_count:
                continue
            if rec.end_date is not None and rec.next_date > rec.end_date:
                continue
            when = charge_date(
                business, rec.next_date, rec.next_date + timedelta(days=rec.due_days)
            )
            current = next_charge.get(rec.client_id)
            next_charge[rec.client_id] = min(current, when) if current else when
        for row in (
            InvoiceBilling.select(InvoiceBilling, Invoice)
            .join(Invoice)
            .where(
                (Invoice.business == business.id)
                & (InvoiceBilling.charge_state == "scheduled")
                & (InvoiceBilling.charge_on >= today)
            )
        ):
            cid, due = row.invoice.client_id, row.charge_on
            if due is None:
                continue
            current = next_charge.get(cid)
            next_charge[cid] = min(current, due) if current else due
        plans = []
        sender = formataddr((business.name, business.billing_email))
        for client_id, when in next_charge.items():
            card = default_card(client_id)
            if card is None or not card_expires_before(card.exp_month, card.exp_year, when):
                continue
            client = Client.get_by_id(client_id)
            expires = f"{date(card.exp_year, card.exp_month, 1):%B %Y}"

            def build(client=client, card=card, when=when, expires=expires):
                return (
                    card_expiring_email(
                        business.name, client.name, card_label(card), expires, when, self.door
                    ),
                    sender,
                )

            plans.append((f"card-expiring:{card.stripe_pm_id}", client.email, build))
        return plans

    def _overdue_reminders(self, business: Business, today: date) -> list:
        """Overdue invoices that are not being auto-billed: reminders N days after due."""
        if not self.reminder_days:
            return []
        first = today - timedelta(days=self.reminder_days[0])
        query = (
            Invoice.select(Invoice, InvoiceBilling.charge_state)
            .join(InvoiceBilling, peewee.JOIN.LEFT_OUTER)
            .where(
                (Invoice.business == business.id)
                & Invoice.status.in_(("sent", "partial"))
                & (Invoice.total > Invoice.amount_paid)
                & (Invoice.due_date <= first)
                & (
                    InvoiceBilling.id.is_null()
                    | ~InvoiceBilling.charge_state.in_(("scheduled", "charging", "retry"))
                )
            )
        )
        plans = []
        sender = formataddr((business.name, business.billing_email))
        for inv in query:
            if inv.id in self._touched:
                continue
            late = (today - inv.due_date).days
            days = max(d for d in self.reminder_days if d <= late)

            def build(invoice_id=inv.id, days=days):
                return overdue_email(self.invoices.get(invoice_id), days, self.door), sender

            client = Client.get_by_id(inv.client_id)
            plans.append((f"overdue:{inv.id}:{days}", client.email, build))
        return plans


def _sent(key: str) -> bool:
    return EmailLog.select().where(EmailLog.event_key == key).exists()


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
    services, progress: ProgressFn | None = None, rate: float | None = None
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
