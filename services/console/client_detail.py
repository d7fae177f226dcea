"""One client's pages for the console: payments and the audit trail (paged in SQL), and who
last changed each recurring invoice's auto-bill choice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from peewee import SQL

from models import AuditLog, Client, Contact, Invoice, Payment, RecurringInvoice
from services.audit import AuditEntry, entry_of
from services.payments.cards import card_label
from services.text import visible

AUTOBILL_ACTIONS = ("recurring.autobill_enabled", "recurring.autobill_disabled")


@dataclass(frozen=True)
class PaymentRow:
    """One payment received from the client."""

    id: int
    reference: str
    at: datetime
    amount: int
    refunded: int
    currency: str
    card: str


@dataclass(frozen=True)
class AutobillChange:
    """The last change of a series' auto-bill choice: on or off, by whom, when."""

    enabled: bool
    actor: str
    at: datetime


def payments_page(client_id: int, offset: int, limit: int) -> tuple[list[PaymentRow], int]:
    """The client's payments, newest first, and how many there are."""
    query = Payment.select().where(Payment.client == client_id)
    rows = [
        PaymentRow(
            p.id,
            visible(p.reference),
            p.created_at,
            p.amount,
            p.amount_refunded,
            p.currency,
            visible(card_label(p.card_brand, p.card_last4)) if p.card_last4 else "",
        )
        for p in query.order_by(Payment.id.desc()).offset(offset).limit(limit)
    ]
    return rows, query.count()


def about_clients(client_ids):
    """Audit rows about these clients (ids, or a query of ids): their records, contacts,
    recurring, invoices and payments, or done by them."""
    contacts = Contact.select(SQL("'contact:'").concat(Contact.id)).where(
        Contact.client.in_(client_ids)
    )
    recurring = RecurringInvoice.select(SQL("'recurring:'").concat(RecurringInvoice.id)).where(
        RecurringInvoice.client.in_(client_ids)
    )
    invoices = Invoice.select(Invoice.number).where(Invoice.client.in_(client_ids))
    invoice_ids = Invoice.select(SQL("'invoice:'").concat(Invoice.id)).where(
        Invoice.client.in_(client_ids)
    )
    payments = Payment.select(Payment.reference).where(Payment.client.in_(client_ids))
    if isinstance(client_ids, list):
        own = [f"client:{client_id}" for client_id in client_ids]
    else:
        own = client_ids.select(SQL("'client:'").concat(Client.id))
    return (
        AuditLog.subject.in_(own)
        | AuditLog.actor.in_(own)
        | AuditLog.subject.in_(contacts)
        | AuditLog.actor.in_(contacts)
        | AuditLog.subject.in_(recurring)
        | AuditLog.subject.in_(invoices)
        | AuditLog.subject.in_(invoice_ids)
        | AuditLog.subject.in_(payments)
    )


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def shown_entry(entry: AuditEntry) -> AuditEntry:
    """An audit entry with the control characters of its text (who, what, about, the details'
    values) shown as symbols: details quote stored names and descriptions."""
    return replace(
        entry,
        actor=visible(entry.actor),
        action=visible(entry.action),
        subject=visible(entry.subject),
        detail=_shown(entry.detail),
        address=visible(entry.address),
    )


def audit_page(client_id: int, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
    """The client's audit trail, newest first, and how many rows it has."""
    query = AuditLog.select().where(about_clients([client_id]))
    page = query.order_by(AuditLog.id.desc()).offset(offset).limit(limit)
    return [shown_entry(entry_of(row)) for row in page], query.count()


def autobill_changes(recurring_ids: list[int]) -> dict[int, AutobillChange]:
    """The latest auto-bill change of each series (series never changed are left out)."""
    if not recurring_ids:
        return {}
    subjects = {f"recurring:{rid}": rid for rid in recurring_ids}
    found: dict[int, AutobillChange] = {}
    query = (
        AuditLog.select(AuditLog.subject, AuditLog.action, AuditLog.actor, AuditLog.at)
        .where(AuditLog.action.in_(AUTOBILL_ACTIONS) & AuditLog.subject.in_(list(subjects)))
        .order_by(AuditLog.id.desc())
        .tuples()
    )
    for subject, action, actor, at in cast("Iterable[tuple[str, str, str, datetime]]", query):
        change = AutobillChange(action.endswith("_enabled"), visible(actor), at)
        found.setdefault(subjects[subject], change)
    return found
