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

from peewee import JOIN, fn

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


def _charge_items(kind: str, query, limit: int) -> list[AttentionItem]:
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
        for row in query.limit(limit)
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


def _review_items(query, limit: int) -> list[AttentionItem]:
    """The listed attempts, each with the invoices it paid (one statement for all of them)."""
    attempts = list(query.limit(limit))
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
    """`_months` of a date column in SQL. On SQLite Peewee's `.year` is a Python function
    called for each row (≈ 8 ms over 1,500 series); strftime is SQLite's own, and its
    text is a number to SQLite's arithmetic."""
    if is_sqlite():
        return fn.strftime("%Y", day) * 12 + fn.strftime("%m", day)
    return _months(day.year, day.month)


def expiring_cards(business: Business, limit: int) -> tuple[int, list[AttentionItem]]:
    """Auto-billed series whose client's card expires before the series' next charge.

    SQL narrows to series with a card that expires within two months after the next
    issue date; the charge date and the card auto-billing uses are then the run's rules.
    """
    on = (RecurringInvoice.autobill_mode == "always") | (
        RecurringInvoice.autobill_mode.in_(CLIENT_CHOOSES)
        & (RecurringInvoice.client_autobill == True)  # noqa: E712 - Peewee expression
    )
    soon = (
        _months(PaymentMethod.exp_year, PaymentMethod.exp_month)
        < _month_number(RecurringInvoice.next_date) + 3
    )
    r = RecurringInvoice  # rows as named tuples of only the columns the rules and items read
    candidates: list[Any] = list(
        r.select(
            r.id, r.client.alias("client_id"), r.description, r.autobill_mode,
            r.client_autobill, r.max_count, r.generated_count, r.end_date, r.next_date,
            r.due_days, Client.name.alias("client_name"),
        )
        .join(Client)
        .where(
            (RecurringInvoice.business == business.id)
            & (RecurringInvoice.status == "active")
            & on
            & RecurringInvoice.client.in_(
                PaymentMethod.select(PaymentMethod.client).where(
                    PaymentMethod.client == RecurringInvoice.client, soon
                )
            )
        )
        .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
        .namedtuples()
    )  # fmt: skip
    cards = _default_card_rows({rec.client_id for rec in candidates})
    count = 0
    found: list[AttentionItem] = []
    for rec in candidates:
        card = cards.get(rec.client_id)
        when = next_series_charge(business, rec)
        if card is None or when is None:
            continue
        if _months(card.exp_year, card.exp_month) >= _months(when.year, when.month):
            continue
        count += 1
        if len(found) < limit:  # every one counted, only the shown ones written out
            found.append(
                item(
                    "card_expiring",
                    rec.client_id,
                    rec.client_name,
                    rec.description,
                    f"{card_label(card.brand or '', card.last4)}"
                    f" {card_expiry(card.exp_month, card.exp_year)},"
                    f" next charge {format_day(when, business.locale)}",
                    "ask the client to add a new card in the kiosk",
                    when,
                )
            )
    return count, found


def _default_card_rows(client_ids: set[int]) -> dict[int, Any]:
    """Each client's card auto-billing uses (policy's `default_cards`, as named tuples of
    the columns an item shows: hundreds of model rows cost the overview tens of ms)."""
    found: dict[int, Any] = {}
    if client_ids:
        pm = PaymentMethod
        rows = (
            pm.select(pm.client.alias("client_id"), pm.brand, pm.last4, pm.exp_month, pm.exp_year)
            .where(pm.client.in_(client_ids))
            .order_by(pm.client, *CARD_ORDER)
            .namedtuples()
        )
        for row in rows:
            found.setdefault(row.client_id, row)
    return found


def attention(business: Business, limit: int = 50, now: datetime | None = None) -> Attention:
    """Everything that needs the owner, at most `limit` items of each kind."""
    now = now or utcnow()
    items: list[AttentionItem] = []
    counts: dict[str, int] = {}

    failed = _open_charges(business.id, FAILED_CHARGES)
    counts["charge_failed"] = failed.count()
    items += _charge_items("charge_failed", failed, limit)
    action = _open_charges(business.id, (ChargeState.ACTION_NEEDED,))
    counts["action_needed"] = action.count()
    items += _charge_items("action_needed", action, limit)

    review = _to_review(business.id)
    counts["needs_review"] = review.count()
    items += _review_items(review, limit)

    unknown = _unknown_attempts(business.id, now)
    counts["unknown"] = unknown.count()
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
        for row in unknown.limit(limit)
    ]

    emails = _failed_emails(now)
    counts["email_failed"] = emails.count()
    for mail in emails.limit(limit):
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

    off = _autobill_off(business.id)
    counts["autobill_off"] = off.count()
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
        for rec in off.limit(limit)
    ]
    return Attention(tuple(items), counts)
