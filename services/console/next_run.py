"""The next billing pass that has work: what it will issue and charge, with which cards.

It asks the run's own phases (`plan()`, the dry run's rules) as of the first day with work:
today when something is due now, else the earliest next date of a schedule, scheduled
charge or retry. So the overview and `paydesk run --dry-run` never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, cast

from peewee import fn

from models import Business, Client, Invoice, InvoiceBilling, RecurringInvoice
from models.bulk_rows import chunks
from models.states import ChargeState
from services.billing.phases.charge import ChargeResult
from services.billing.phases.context import RunContext
from services.billing.phases.generate_due import Period
from services.billing.policy import (
    charge_date,
    default_cards,
    first_charge_state,
    saved_card_label,
)
from services.billing.recurring_views import recurring_amount
from services.billing.run import BillingRunner
from services.invoices.views import PAYABLE
from services.text import visible

if TYPE_CHECKING:
    from services.container import Services

NO_CARD = "no saved card"


@dataclass(frozen=True)
class PlannedItem:
    """One invoice the pass issues or charges."""

    client_id: int
    client: str
    what: str  # an invoice number, or the schedule's description for a new invoice
    amount: int
    charge: bool  # charged by this pass
    card: str  # "Visa •••• 4242", NO_CARD, or "" when it is not auto-billed
    charge_on: date | None = None  # when it is auto-charged (a new invoice: maybe later)


@dataclass(frozen=True)
class NextRun:
    """The next pass with work (`day` None: nothing is scheduled at all)."""

    day: date | None
    generate: int = 0
    generate_amount: int = 0
    charge: int = 0
    charge_amount: int = 0
    items: tuple[PlannedItem, ...] = ()
    errors: tuple[str, ...] = ()


def first_day_with_work(business_id: int, today: date) -> date | None:
    """Today if anything is due by today, else the earliest day something falls due."""
    payable = Invoice.status.in_(PAYABLE) & (Invoice.total > Invoice.amount_paid)
    days = [
        RecurringInvoice.select(fn.MIN(RecurringInvoice.next_date))
        .where((RecurringInvoice.business == business_id) & (RecurringInvoice.status == "active"))
        .scalar(),
        InvoiceBilling.select(fn.MIN(InvoiceBilling.charge_on))
        .join(Invoice)
        .where(
            (Invoice.business == business_id)
            & (InvoiceBilling.charge_state == ChargeState.SCHEDULED)
            & payable
        )
        .scalar(),
        InvoiceBilling.select(fn.MIN(InvoiceBilling.next_try_on))
        .join(Invoice)
        .where(
            (Invoice.business == business_id)
            & (InvoiceBilling.charge_state == ChargeState.RETRY)
            & payable
        )
        .scalar(),
    ]
    found = [d if isinstance(d, date) else date.fromisoformat(d) for d in days if d]
    return max(today, min(found)) if found else None


def _charge_on(business: Business, period: Period) -> date | None:
    """When the new invoice of this period is auto-charged (None: it is not auto-billed)."""
    rec = period.rec
    _, state = first_charge_state(rec)
    if state != ChargeState.SCHEDULED:
        return None
    return charge_date(business, period.start, period.start + timedelta(days=rec.due_days))


def _balances(invoice_ids: list[int]) -> int:
    """What these invoices still owe, summed in SQL a few thousand ids at a time."""
    total = 0
    for part in chunks(invoice_ids, 5000):
        total += int(
            Invoice.select(fn.COALESCE(fn.SUM(Invoice.total - Invoice.amount_paid), 0))
            .where(Invoice.id.in_(list(part)))
            .scalar()
        )
    return total


def next_run(services: Services, business: Business, today: date, limit: int = 50) -> NextRun:
    """What the next pass with work will do, as its phases plan it; `limit` items listed."""
    day = first_day_with_work(business.id, today)
    if day is None:
        return NextRun(None)
    runner = BillingRunner(
        services.invoices, services.payments, services.mailer, services.codes, services.config
    )
    phases = {phase.name: phase for phase in runner.phases}
    ctx = RunContext([business], {business.id: day})
    generated = phases["generate"].plan(ctx)
    charged = cast(ChargeResult, phases["charge"].plan(ctx))

    new = [(p, recurring_amount(ctx.new_lines.get(p.rec.id, []))) for p in ctx.new_periods]
    shown = charged.invoices[:limit]
    due = (
        list(
            Invoice.select(Invoice, Client)
            .join(Client)
            .where(Invoice.id.in_(shown))
            .order_by(Invoice.due_date, Invoice.id)
        )
        if shown
        else []
    )
    listed = new[: max(0, limit - len(due))]  # names and cards are read for these only
    clients = {inv.client_id for inv in due} | {p.rec.client_id for p, _ in listed}
    cards = default_cards(clients)
    names: dict[int, str] = {
        c.id: visible(c.name)
        for c in Client.select(Client.id, Client.name).where(Client.id.in_(clients))
    }

    def card(client_id: int) -> str:
        return visible(saved_card_label(cards.get(client_id))) or NO_CARD

    items = [
        PlannedItem(
            inv.client_id,
            names[inv.client_id],
            inv.number,
            inv.balance,
            True,
            card(inv.client_id),
            day,
        )
        for inv in due
    ]
    charge_amount = _balances(charged.invoices)
    for n, (period, amount) in enumerate(new):
        rec = period.rec
        on = _charge_on(business, period)
        charge = on is not None and on <= day
        charge_amount += amount if charge else 0
        if n < len(listed):
            items.append(
                PlannedItem(
                    rec.client_id,
                    names.get(rec.client_id, ""),
                    f"new: {visible(rec.description)}",
                    amount,
                    charge,
                    card(rec.client_id) if on is not None else "",
                    on,
                )
            )
    return NextRun(
        day=day,
        generate=len(new),
        generate_amount=sum(amount for _, amount in new),
        charge=charged.charged,
        charge_amount=charge_amount,
        items=tuple(items[:limit]),
        errors=tuple(visible(error) for error in generated.errors),
    )
