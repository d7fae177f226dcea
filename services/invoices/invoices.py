"""Invoices: numbering, totals, statuses, balances, and what a client owes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from peewee import Case, fn

from models import (
    IN_FLIGHT,
    AccessCode,
    AttemptInvoice,
    Business,
    Client,
    Invoice,
    InvoiceLine,
    PaymentAllocation,
    PaymentAttempt,
    lock_rows,
    utcnow,
    write_lock,
)
from services.audit import audit
from services.errors import PaydeskError
from services.money import line_amount, line_tax

PAYABLE = ("sent", "partial")


class InvoiceError(PaydeskError):
    """An invoice operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: int
    quantity_milli: int = 1000
    tax_rate_bp: int = 0


@dataclass(frozen=True)
class InvoiceSummary:
    id: int
    number: str
    status: str
    total: int
    balance: int
    currency: str
    issue_date: date
    due_date: date
    overdue: bool

    @property
    def payable(self) -> bool:
        return self.status in PAYABLE and self.balance > 0


@dataclass(frozen=True)
class LineView:
    description: str
    quantity_milli: int
    unit_price: int
    tax_rate_bp: int
    amount: int
    tax: int


@dataclass(frozen=True)
class Party:
    name: str
    email: str
    address: str


@dataclass(frozen=True)
class InvoiceDetail:
    id: int
    number: str
    status: str
    currency: str
    locale: str
    issue_date: date
    due_date: date
    subtotal: int
    tax_total: int
    total: int
    amount_paid: int
    balance: int
    overdue: bool
    notes: str
    client_id: int
    business_id: int
    business: Party
    client: Party
    lines: tuple[LineView, ...]
    recurring_id: int | None

    @property
    def payable(self) -> bool:
        return self.status in PAYABLE and self.balance > 0


@dataclass(frozen=True)
class BusinessProfile:
    """How a business shows amounts and dates."""

    name: str
    currency: str
    locale: str
    timezone: str


@dataclass(frozen=True)
class OwedSummary:
    total: int
    count: int
    overdue_count: int
    oldest_due: date | None
    currency: str


def is_overdue(status: str, balance: int, due: date, today: date) -> bool:
    return status in PAYABLE and balance > 0 and due < today


def summary_of(inv: Invoice, today: date) -> InvoiceSummary:
    balance = inv.total - inv.amount_paid
    return InvoiceSummary(
        id=inv.id,
        number=inv.number,
        status=inv.status,
        total=inv.total,
        balance=balance,
        currency=inv.currency,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        overdue=is_overdue(inv.status, balance, inv.due_date, today),
    )


def priced(lines: Iterable[Any]) -> list[tuple[int, Any, int, int]]:
    """(position, line, amount, tax) of each line (a LineInput or a RecurringLine)."""
    rows = []
    for position, line in enumerate(lines):
        amount = line_amount(line.quantity_milli, line.unit_price)
        rows.append((position, line, amount, line_tax(amount, line.tax_rate_bp)))
    return rows


def line_rows(invoice_id: int, rows: list[tuple[int, Any, int, int]]) -> list[dict[str, Any]]:
    """The invoice_line rows of priced lines."""
    return [
        {
            "invoice": invoice_id,
            "position": position,
            "description": line.description,
            "quantity_milli": line.quantity_milli,
            "unit_price": line.unit_price,
            "tax_rate_bp": line.tax_rate_bp,
            "amount": amount,
            "tax": tax,
        }
        for position, line, amount, tax in rows
    ]


def detail_of(
    inv: Invoice,
    business: Business,
    client: Client,
    lines: Iterable[InvoiceLine],
    today: date,
) -> InvoiceDetail:
    """An invoice as plain data, from rows already read (lines in position order)."""
    balance = inv.total - inv.amount_paid
    return InvoiceDetail(
        id=inv.id,
        number=inv.number,
        status=inv.status,
        currency=inv.currency,
        locale=business.locale,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        subtotal=inv.subtotal,
        tax_total=inv.tax_total,
        total=inv.total,
        amount_paid=inv.amount_paid,
        balance=balance,
        overdue=is_overdue(inv.status, balance, inv.due_date, today),
        notes=inv.notes,
        client_id=inv.client_id,
        business_id=inv.business_id,
        business=Party(business.name, business.billing_email, business.address),
        client=Party(client.name, client.email, client.address),
        lines=tuple(
            LineView(
                ln.description, ln.quantity_milli, ln.unit_price, ln.tax_rate_bp, ln.amount, ln.tax
            )
            for ln in lines
        ),
        recurring_id=inv.recurring_id,
    )


def status_for(total: int, paid: int, current: str) -> str:
    """The stored status after a payment or refund changed what was paid."""
    if current in ("void", "draft"):
        return current
    if paid >= total:
        return "paid"
    return "partial" if paid > 0 else "sent"


class InvoiceService:
    """Creates invoices and answers what a client owes."""

    def create(
        self,
        client_id: int,
        lines: list[LineInput],
        issue_date: date,
        due_date: date | None = None,
        notes: str = "",
        status: str = "sent",
        recurring_id: int | None = None,
        period_start: date | None = None,
        actor: str = "system",
    ) -> InvoiceDetail:
        if not lines:
            raise InvoiceError("an invoice needs at least one line")
        for line in lines:
            if line.quantity_milli <= 0 or line.unit_price < 0 or line.tax_rate_bp < 0:
                raise InvoiceError(f"line {line.description!r}: quantity, price or tax is invalid")
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise InvoiceError(f"no client with id {client_id}")
        with write_lock():
            business = lock_rows(Business.select().where(Business.id == client.business_id)).get()
            number = f"{business.invoice_prefix}{business.next_invoice_number:04d}"
            Business.update(next_invoice_number=Business.next_invoice_number + 1).where(
                Business.id == business.id
            ).execute()
            due = due_date or issue_date + timedelta(days=business.payment_terms_days)
            rows = priced(lines)
            subtotal = sum(r[2] for r in rows)
            tax_total = sum(r[3] for r in rows)
            invoice = Invoice.create(
                business=business,
                client=client,
                number=number,
                currency=business.currency,
                issue_date=issue_date,
                due_date=due,
                status=status,
                subtotal=subtotal,
                tax_total=tax_total,
                total=subtotal + tax_total,
                notes=notes,
                recurring=recurring_id,
                period_start=period_start,
                sent_at=utcnow() if status == "sent" else None,
            )
            InvoiceLine.insert_many(line_rows(invoice.id, rows)).execute()
            audit(actor, "invoice.created", number, {"total": invoice.total, "client": client_id})
        return self.get(invoice.id)

    def get(self, invoice_id: int, today: date | None = None) -> InvoiceDetail:
        inv = Invoice.get_or_none(Invoice.id == invoice_id)
        if inv is None:
            raise InvoiceError(f"no invoice with id {invoice_id}")
        lines = InvoiceLine.select().where(InvoiceLine.invoice == inv.id)
        return detail_of(
            inv,
            Business.get_by_id(inv.business_id),
            Client.get_by_id(inv.client_id),
            lines.order_by(InvoiceLine.position),
            today or date.today(),
        )

    def list_for_client(
        self, client_id: int, offset: int = 0, limit: int = 100, today: date | None = None
    ) -> list[InvoiceSummary]:
        """One page of a client's invoices: owed first (oldest due first), then the rest.

        Two indexed queries per page, whatever the number of invoices.
        """
        today = today or date.today()
        rows = list(
            _owed_query(client_id)
            .order_by(Invoice.due_date.asc(), Invoice.id.asc())
            .offset(offset)
            .limit(limit)
        )
        if len(rows) < limit:
            rest_offset = max(0, offset - _owed_query(client_id).count()) if not rows else 0
            rows += list(
                _settled_query(client_id)
                .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                .offset(rest_offset)
                .limit(limit - len(rows))
            )
        return [summary_of(inv, today) for inv in rows]

    def count_for_client(self, client_id: int) -> int:
        return (
            Invoice.select()
            .where((Invoice.client == client_id) & (Invoice.status != "draft"))
            .count()
        )

    def owed(self, client_id: int, today: date | None = None) -> OwedSummary:
        """What a client owes: total, how many invoices, how many overdue, the oldest due date."""
        today = today or date.today()
        client = Client.get_by_id(client_id)
        currency = Business.get_by_id(client.business_id).currency
        balance = Invoice.total - Invoice.amount_paid
        row = (
            _owed_query(client_id)
            .select(
                fn.COALESCE(fn.SUM(balance), 0),
                fn.COUNT(Invoice.id),
                fn.COALESCE(fn.SUM(Case(None, [(Invoice.due_date < today, 1)], 0)), 0),
                fn.MIN(Invoice.due_date),
            )
            .tuples()
            .get()
        )
        oldest = row[3]
        if isinstance(oldest, str):
            oldest = date.fromisoformat(oldest)
        return OwedSummary(int(row[0]), int(row[1]), int(row[2]), oldest, currency)

    def business_of_client(self, client_id: int) -> BusinessProfile:
        business = Business.select().join(Client).where(Client.id == client_id).get()
        return BusinessProfile(business.name, business.currency, business.locale, business.timezone)

    def find_by_number(self, number: str, business_id: int | None = None) -> int | None:
        query = Invoice.select(Invoice.id).where(Invoice.number == number.strip().upper())
        if business_id is not None:
            query = query.where(Invoice.business == business_id)
        row = query.first()
        return row.id if row else None

    def void(self, invoice_id: int, actor: str = "system") -> None:
        """Void an unpaid invoice; its [View Invoice] codes stop working."""
        with write_lock():
            # Locked like `open_attempt` locks it, so a payment cannot start in between.
            inv = lock_rows(Invoice.select().where(Invoice.id == invoice_id)).first()
            if inv is None:
                raise InvoiceError(f"no invoice with id {invoice_id}")
            if inv.status == "void":
                return
            if inv.amount_paid > 0:
                raise InvoiceError(f"{inv.number} has payments; refund them before voiding")
            in_flight = (
                AttemptInvoice.select()
                .join(PaymentAttempt)
                .where(
                    (AttemptInvoice.invoice == invoice_id)
                    & PaymentAttempt.status.in_(IN_FLIGHT + ("requires_action",))
                )
                .exists()
            )
            if in_flight:  # the charge may still succeed; it must not land on a void invoice
                raise InvoiceError(
                    f"{inv.number} has a payment in progress; wait for it to finish "
                    "(or run `paydesk reconcile`) before voiding"
                )
            Invoice.update(status="void", voided_at=utcnow()).where(
                Invoice.id == invoice_id
            ).execute()
            AccessCode.update(revoked_at=utcnow()).where(
                (AccessCode.invoice == invoice_id) & AccessCode.revoked_at.is_null()
            ).execute()
            audit(actor, "invoice.voided", inv.number, {})

    def paid_by_allocations(self, invoice_id: int) -> int:
        """The sum of payment allocations to an invoice (for invariant checks)."""
        return int(
            PaymentAllocation.select(fn.COALESCE(fn.SUM(PaymentAllocation.amount), 0))
            .where(PaymentAllocation.invoice == invoice_id)
            .scalar()
        )


def _owed_query(client_id: int):
    return Invoice.select().where(
        (Invoice.client == client_id)
        & Invoice.status.in_(PAYABLE)
        & (Invoice.total > Invoice.amount_paid)
    )


def _settled_query(client_id: int):
    return Invoice.select().where(
        (Invoice.client == client_id)
        & (Invoice.status != "draft")
        & ~(Invoice.status.in_(PAYABLE) & (Invoice.total > Invoice.amount_paid))
    )
