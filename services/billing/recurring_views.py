"""What a recurring invoice looks like to people: its views, amount and auto-bill wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import Business, Client, RecurringInvoice, RecurringLine
from services.billing.policy import CLIENT_CHOOSES, autobill_effective
from services.billing.schedule import frequency_label
from services.invoices.views import LineInput
from services.money import line_amount, line_tax
from services.text import visible

AUTOBILL_LABELS = {
    "always": "Always",
    "optout": "On unless you turn it off",
    "optin": "Off unless you turn it on",
    "off": "Off",
}


@dataclass(frozen=True)
class RecurringView:
    """One recurring invoice as a client (or the owner's list) sees it."""

    id: int
    description: str
    frequency_label: str
    amount: int
    currency: str
    next_date: date | None
    autobill_mode: str
    autobill_enabled: bool
    can_change: bool
    why_not: str
    status: str = "active"
    client_id: int = 0
    client_name: str = ""


@dataclass(frozen=True)
class RecurringDetail:
    """Everything `paydesk recurring show` prints, with the next dates."""

    view: RecurringView
    frequency: str
    anchor_date: date
    end_date: date | None
    max_count: int | None
    generated_count: int
    due_days: int
    lines: tuple[LineInput, ...]
    upcoming: tuple[date, ...]
    invoices: tuple[tuple[str, date | None, str], ...]  # (number, period_start, status)


@dataclass(frozen=True)
class NextCharge:
    """A client's next automatic charge: when, how much, and on which card."""

    date: date
    amount: int
    currency: str
    card_label: str


def recurring_amount(lines) -> int:
    total = 0
    for line in lines:
        amount = line_amount(line.quantity_milli, line.unit_price)
        total += amount + line_tax(amount, line.tax_rate_bp)
    return total


def view_of(rec: RecurringInvoice) -> RecurringView:
    """The recurring invoice as a client (or the owner's list) sees it."""
    business = Business.get_by_id(rec.business_id)
    lines = lines_of(rec.id)
    ended = rec.status in ("cancelled", "ended") or (
        rec.max_count is not None and rec.generated_count >= rec.max_count
    )
    if not ended and rec.end_date is not None and rec.next_date > rec.end_date:
        ended = True
    return RecurringView(
        id=rec.id,
        description=visible(rec.description),
        frequency_label=frequency_label(rec.frequency),
        amount=recurring_amount(lines),
        currency=business.currency,
        next_date=None if ended or rec.status == "paused" else rec.next_date,
        autobill_mode=rec.autobill_mode,
        autobill_enabled=autobill_effective(rec.autobill_mode, rec.client_autobill),
        can_change=rec.autobill_mode in CLIENT_CHOOSES,
        why_not="" if rec.autobill_mode in CLIENT_CHOOSES else why_not(rec.autobill_mode),
        status=rec.status,
        client_id=rec.client_id,
        client_name=visible(Client.get_by_id(rec.client_id).name),
    )


def lines_of(recurring_id: int) -> list[RecurringLine]:
    """The series' lines, in their order."""
    return list(
        RecurringLine.select()
        .where(RecurringLine.recurring == recurring_id)
        .order_by(RecurringLine.position)
    )


def why_not(mode: str) -> str:
    if mode == "always":
        return "Automatic payment is required for this plan; ask us to change it."
    return "Automatic payment is not offered for this plan."
