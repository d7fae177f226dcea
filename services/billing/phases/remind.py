"""The pass's last phase: remind clients of a card that expires before its next auto-charge,
and of overdue invoices nobody is auto-charging (N days after due, once per step).

The plan and the run list the same reminders (`reminders`); the run sends them. Each has an
event key, so it is mailed at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import formataddr

import peewee

from models import Business, Client, EmailLog, Invoice, InvoiceBilling, RecurringInvoice
from models.states import ChargeState, InvoiceStatus
from services.billing.phases.context import RunContext
from services.billing.policy import default_card, next_series_charge, saved_card_label
from services.billing.schedule import card_expires_before
from services.billing.summary import PhaseResult
from services.emails.billing import Door, card_expiring_email, days_overdue, overdue_email
from services.emails.message import Email

# An invoice in one of these is still being auto-charged: no overdue reminder yet.
BEING_CHARGED = (ChargeState.SCHEDULED, ChargeState.CHARGING, ChargeState.RETRY)


@dataclass
class RemindResult(PhaseResult):
    """Reminders sent (dry: to send)."""

    reminded: int = 0


@dataclass(frozen=True)
class Reminder:
    """One reminder due: its event key, the address, and how to write it (only when sent)."""

    key: str
    to: str
    build: Callable[[], tuple[Email, str]]  # (the email, its sender)
    label: str = ""  # what a dry run says: "Acme Dental: INV-0003, 16 days overdue"


class RemindPhase:
    """Lists the reminders due and not sent yet; the run sends them."""

    name = "remind"

    def __init__(
        self, invoices, mailer, door: Door, reminder_days: tuple[int, ...], access_codes
    ) -> None:
        self.invoices = invoices
        self.codes = access_codes
        self.mailer = mailer
        self.door = door
        self.reminder_days = reminder_days

    def reminders(self, ctx: RunContext) -> list[Reminder]:
        due: list[Reminder] = []
        for business in ctx.businesses:
            due += self._card_reminders(business, ctx.today[business.id])
            due += self._overdue_reminders(business, ctx.today[business.id], ctx.charged)
        return [r for r in due if not EmailLog.select().where(EmailLog.event_key == r.key).exists()]

    def plan(self, ctx: RunContext) -> RemindResult:
        due = self.reminders(ctx)
        return RemindResult(reminded=len(due), planned=[f"remind {r.label}" for r in due])

    def run(self, ctx: RunContext) -> RemindResult:
        result = RemindResult()
        due = self.reminders(ctx)
        ctx.progress(self.name, 0, len(due))
        for done, reminder in enumerate(due, 1):
            message, sender = reminder.build()
            if self.mailer.send(
                reminder.to,
                message.subject,
                message.text,
                message.html,
                event_key=reminder.key,
                sender=sender,
            ):
                result.reminded += 1
            ctx.progress(self.name, done, len(due))
        return result

    def _card_reminders(self, business: Business, today: date) -> list[Reminder]:
        """One email per default card that expires before the client's next auto-charge."""
        next_charge: dict[int, date] = {}
        for rec in RecurringInvoice.select().where(
            (RecurringInvoice.business == business.id) & (RecurringInvoice.status == "active")
        ):
            when = next_series_charge(business, rec)
            if when is None:
                continue
            current = next_charge.get(rec.client_id)
            next_charge[rec.client_id] = min(current, when) if current else when
        for row in (
            InvoiceBilling.select(InvoiceBilling, Invoice)
            .join(Invoice)
            .where(
                (Invoice.business == business.id)
                & (InvoiceBilling.charge_state == ChargeState.SCHEDULED)
                & (InvoiceBilling.charge_on >= today)
            )
        ):
            cid, due = row.invoice.client_id, row.charge_on
            if due is None:
                continue
            current = next_charge.get(cid)
            next_charge[cid] = min(current, due) if current else due
        found = []
        sender = formataddr((business.name, business.billing_email))
        for client_id, when in next_charge.items():
            card = default_card(client_id)
            if card is None or not card_expires_before(card.exp_month, card.exp_year, when):
                continue
            client = Client.get_by_id(client_id)
            expires = f"{date(card.exp_year, card.exp_month, 1):%B %Y}"

            def build(client=client, card=card, when=when, expires=expires):
                label = saved_card_label(card)
                email = card_expiring_email(
                    business.name, client.name, label, expires, when, self.door
                )
                return email, sender

            label = f"{client.name}: {saved_card_label(card)} expires before {when}"
            key = f"card-expiring:{card.stripe_pm_id}"
            found.append(Reminder(key, client.email, build, label))
        return found

    def _overdue_reminders(
        self, business: Business, today: date, charged: set[int]
    ) -> list[Reminder]:
        """Overdue invoices that are not being auto-billed: reminders N days after due."""
        if not self.reminder_days:
            return []
        first = today - timedelta(days=self.reminder_days[0])
        query = (
            Invoice.select(Invoice, InvoiceBilling.charge_state)
            .join(InvoiceBilling, peewee.JOIN.LEFT_OUTER)
            .where(
                (Invoice.business == business.id)
                & Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PARTIAL))
                & (Invoice.total > Invoice.amount_paid)
                & (Invoice.due_date <= first)
                & (InvoiceBilling.id.is_null() | ~InvoiceBilling.charge_state.in_(BEING_CHARGED))
            )
        )
        found = []
        sender = formataddr((business.name, business.billing_email))
        for inv in query:
            if inv.id in charged:  # charged this pass: no reminder on top of that mail
                continue
            late = (today - inv.due_date).days
            days = max(d for d in self.reminder_days if d <= late)

            def build(invoice_id=inv.id):
                # The invoice's real age today, and a code of its own to open it with.
                detail = self.invoices.get(invoice_id, today)
                code = self.codes.create(invoice_id)
                return overdue_email(detail, today, self.door, code), sender

            client = Client.get_by_id(inv.client_id)
            label = f"{client.name}: {inv.number}, {days_overdue(inv.due_date, today)}"
            found.append(Reminder(f"overdue:{inv.id}:{days}", client.email, build, label))
        return found
