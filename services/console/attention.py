"""What needs the owner's attention, kind by kind: counted in SQL, the newest few listed.

Kinds, in the order the overview shows them: failed charges (declined, retrying, out of
retries, no card), charges waiting for the client's bank confirmation, payments needing
review (Stripe does not know them: the owner says what happened), payment attempts whose
outcome is unknown, emails that failed, cards that expire before their next
automatic charge, and clients who turned auto-billing off. Each item names its client, so
the console can open the client it is about. The next steps come from the billing run's
own table (services/billing/failures.py), so `paydesk failures` and the console agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from peewee import JOIN, SQL, fn

from models import (
    AttemptInvoice,
    Business,
    Client,
    Contact,
    EmailLog,
    Invoice,
    InvoiceBilling,
    PaymentAttempt,
    PaymentMethod,
    RecurringInvoice,
    utcnow,
)
from models.db import is_sqlite
from models.states import AttemptStatus, ChargeState
from services.billing.failures import STEPS, email_step, review_step
from services.billing.policy import (
    CLIENT_CHOOSES,
    next_series_charge,
)
from services.dates import format_day, format_moment
from services.invoices.views import PAYABLE
from services.payments.cards import CARD_ORDER, card_expiry, card_label
from services.payments.ledger import reference_for
from services.text import visible

KINDS: dict[str, str] = {
    "charge_failed": "Failed charge",
    "action_needed": "Action needed",
    "needs_review": "Needs review",
    "unknown": "Unknown outcome",
    "email_failed": "Email failed",
    "card_expiring": "Card expires",
    "autobill_off": "Auto-bill off",
}
FAILED_CHARGES = (
    ChargeState.DECLINED,
    ChargeState.EXHAUSTED,
    ChargeState.NO_CARD,
    ChargeState.RETRY,
)
STALE = timedelta(minutes=10)  # an attempt or email left this long in flight is unknown


@dataclass(frozen=True)
class AttentionItem:
    """One thing to look at: what, about which client, and what to do."""

    kind: str
    client_id: int | None
    client: str
    subject: str
    reason: str
    next_step: str
    when: datetime | date | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def item(
    kind: str,
    client_id: int | None,
    client: object,
    subject: object,
    reason: object,
    next_step: str,
    when: datetime | date | None = None,
) -> AttentionItem:
    """An item whose stored text (names, subjects, Stripe's and the mail server's messages)
    has its control characters shown as symbols, so no screen can draw them raw."""
    return AttentionItem(
        kind, client_id, visible(client), visible(subject), visible(reason), next_step, when
    )


@dataclass(frozen=True)
class Attention:
    """The items (at most `limit` of each kind) and how many of each kind there are."""

    items: tuple[AttentionItem, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _open_charges(business_id: int, states: tuple):
    return (
        InvoiceBilling.select(InvoiceBilling, Invoice, Client)
        .join(Invoice)
        .join(Client)
        .where(
            (Invoice.business == business_id)
            & InvoiceBilling.charge_state.in_(list(states))
            & Invoice.status.in_(PAYABLE)
            & (Invoice.total > Invoice.amount_paid)
        )
        .order_by(InvoiceBilling.updated_at.desc(), InvoiceBilling.id.desc())
    )


def _charge_items(kind: str, rows: list[Any]) -> list[AttentionItem]:
    return [
        item(
            kind,
            row.invoice.client_id,
            row.invoice.client.name,
            row.invoice.number,
            row.last_message or row.last_code or row.charge_state,
            STEPS[row.charge_state].format(next=row.next_try_on),
            row.updated_at,
        )
        for row in rows
    ]


def _to_review(business_id: int):
    return (
        PaymentAttempt.select(PaymentAttempt, Client)
        .join(Client)
        .where(
            (Client.business == business_id) & (PaymentAttempt.status == AttemptStatus.NEEDS_REVIEW)
        )
        .order_by(PaymentAttempt.updated_at.desc(), PaymentAttempt.id.desc())
    )


def _review_items(attempts: list[Any]) -> list[AttentionItem]:
    """The listed attempts, each with the invoices it paid (one statement for all of them)."""
    numbers: dict[int, list[str]] = {}
    if attempts:
        paid = (
            AttemptInvoice.select(AttemptInvoice.attempt, Invoice.number)
            .join(Invoice)
            .where(AttemptInvoice.attempt.in_([a.id for a in attempts]))
            .order_by(Invoice.id)
            .tuples()
        )
        for attempt_id, number in cast("Iterable[tuple[int, str]]", paid):
            numbers.setdefault(attempt_id, []).append(number)
    return [
        item(
            "needs_review",
            row.client_id,
            row.client.name,
            reference_for(row.id),
            f"{', '.join(numbers.get(row.id, [])) or 'no invoice'}: Stripe does not know it",
            review_step(reference_for(row.id)),
            row.updated_at,
        )
        for row in attempts
    ]


def _unknown_attempts(business_id: int, now: datetime):
    stale = PaymentAttempt.status.in_([AttemptStatus.CREATED, AttemptStatus.SUBMITTED]) & (
        PaymentAttempt.updated_at < now - STALE
    )
    return (
        PaymentAttempt.select(PaymentAttempt, Client)
        .join(Client)
        .where(
            (Client.business == business_id)
            & ((PaymentAttempt.status == AttemptStatus.UNKNOWN) | stale)
        )
        .order_by(PaymentAttempt.id.desc())
    )


def _failed_emails(now: datetime):
    failed = EmailLog.status == "failed"
    unconfirmed = (EmailLog.status == "pending") & (EmailLog.created_at < now - STALE)
    return (
        EmailLog.select(EmailLog, Contact.client.alias("client_id"), Client.name.alias("name"))
        .join(Contact, on=(Contact.email == EmailLog.to), join_type=JOIN.LEFT_OUTER)
        .join(Client, on=(Client.id == Contact.client), join_type=JOIN.LEFT_OUTER)
        .where(failed | unconfirmed)
        .order_by(EmailLog.id.desc())
        .objects()
    )


def _email_step(mail: EmailLog, business: Business) -> str:
    when = format_moment(mail.next_at, business.timezone, business.locale) if mail.next_at else ""
    return email_step(mail.status, when)


def _autobill_off(business_id: int):
    return (
        RecurringInvoice.select(RecurringInvoice, Client)
        .join(Client)
        .where(
            (RecurringInvoice.business == business_id)
            & (RecurringInvoice.status == "active")
            & (RecurringInvoice.autobill_mode == "optout")
            & (RecurringInvoice.client_autobill == False)  # noqa: E712 - Peewee expression
        )
        .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
    )


def _months(year, month):
    return year * 12 + month


def _month_number(day: Any) -> Any:
    """`_months` of a date in SQL, with each database's own functions (on SQLite Peewee's
    `.year` is a Python function called for each row); SQLite's strftime text is a number
    to its arithmetic."""
    if is_sqlite():
        return fn.strftime("%Y", day) * 12 + fn.strftime("%m", day)
    return fn.date_part("year", day) * 12 + fn.date_part("month", day)


def _plus_days(day: Any, days: Any) -> Any:
    """A date column plus an integer column of days, in SQL."""
    if is_sqlite():
        return fn.date(day, fn.printf("+%d days", days))
    return day + days


def expiring_cards(business: Business, limit: int) -> tuple[int, list[AttentionItem]]:
    """Auto-billed series whose client's card expires before the series' next charge.

    The run's rules (services/billing/policy.py: auto-billed, not ended, the charge date,
    the card auto-billing uses) in SQL, so the series are counted there and only the listed
    ones are read; tests/unit/doors/test_admin_expiring.py holds the two to each other.
    """
    r, card = RecurringInvoice, PaymentMethod.alias("card")
    on = (r.autobill_mode == "always") | (
        r.autobill_mode.in_(CLIENT_CHOOSES) & (r.client_autobill == True)  # noqa: E712
    )
    running = (r.max_count.is_null() | (r.generated_count < r.max_count)) & (
        r.end_date.is_null() | (r.next_date <= r.end_date)
    )
    charged_on = (
        r.next_date if business.autobill_on == "issue" else _plus_days(r.next_date, r.due_days)
    )
    uses = (  # policy's default card: the first of the client's cards in CARD_ORDER
        PaymentMethod.select(PaymentMethod.id)
        .where(PaymentMethod.client == r.client)
        .order_by(*CARD_ORDER)
        .limit(1)
    )
    query = (
        r.select(
            r.id, r.client.alias("client_id"), r.description, r.autobill_mode,
            r.client_autobill, r.max_count, r.generated_count, r.end_date, r.next_date,
            r.due_days, Client.name.alias("client_name"), card.brand, card.last4,
            card.exp_month, card.exp_year,
        )
        .join(Client)
        .switch(r)
        .join(card, on=(card.id == uses))
        .where(
            (r.business == business.id) & (r.status == "active") & on & running
            & (_months(card.exp_year, card.exp_month) < _month_number(charged_on))
        )
    )  # fmt: skip
    count, listed = _counted(query.order_by(r.next_date, r.id).namedtuples(), limit)
    found = []
    for rec in listed:
        when = next_series_charge(business, rec)
        if when is None:  # not auto-billed by the rules after all: SQL and policy disagree
            continue
        found.append(
            item(
                "card_expiring",
                rec.client_id,
                rec.client_name,
                rec.description,
                f"{card_label(rec.brand or '', rec.last4)}"
                f" {card_expiry(rec.exp_month, rec.exp_year)},"
                f" next charge {format_day(when, business.locale)}",
                "ask the client to add a new card in the kiosk",
                when,
            )
        )
    return count, found


def attention(business: Business, limit: int = 50, now: datetime | None = None) -> Attention:
    """Everything that needs the owner, at most `limit` items of each kind."""
    now = now or utcnow()
    items: list[AttentionItem] = []
    counts: dict[str, int] = {}

    counts["charge_failed"], failed = _counted(_open_charges(business.id, FAILED_CHARGES), limit)
    items += _charge_items("charge_failed", failed)
    action_needed = _open_charges(business.id, (ChargeState.ACTION_NEEDED,))
    counts["action_needed"], action = _counted(action_needed, limit)
    items += _charge_items("action_needed", action)

    counts["needs_review"], review = _counted(_to_review(business.id), limit)
    items += _review_items(review)

    counts["unknown"], unknown = _counted(_unknown_attempts(business.id, now), limit)
    items += [
        item(
            "unknown",
            row.client_id,
            row.client.name,
            f"attempt {row.id}",
            f"{row.status} since"
            f" {format_moment(row.updated_at, business.timezone, business.locale)}",
            STEPS[ChargeState.CHARGING],
            row.updated_at,
        )
        for row in unknown
    ]

    counts["email_failed"], emails = _counted(_failed_emails(now), limit)
    for mail in emails:
        client_id = getattr(mail, "client_id", None)
        items.append(
            item(
                "email_failed",
                client_id,
                mail.name or mail.to,
                mail.subject,
                mail.last_error or "delivery not confirmed (process stopped while sending)",
                _email_step(mail, business),
                mail.created_at,
            )
        )

    counts["card_expiring"], cards = expiring_cards(business, limit)
    items += cards

    counts["autobill_off"], off = _counted(_autobill_off(business.id), limit)
    items += [
        item(
            "autobill_off",
            rec.client_id,
            rec.client.name,
            rec.description,
            "the client turned automatic charging off",
            "their invoices wait for payment in the kiosk",
            rec.next_date,
        )
        for rec in off
    ]
    return Attention(tuple(items), counts)


def _counted(query: Any, limit: int) -> tuple[int, list[Any]]:
    """The query's first `limit` rows and how many rows it has in all, in one statement:
    each row carries the count (a window over the whole result, taken before LIMIT)."""
    if limit <= 0:
        return query.count(), []
    rows = list(query.select_extend(fn.COUNT(SQL("*")).over().alias("matching")).limit(limit))
    return (rows[0].matching if rows else 0), rows
