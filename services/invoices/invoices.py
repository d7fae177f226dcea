"""InvoiceService: creating, reading, listing and voiding invoices; what a client owes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from peewee import Case, fn

from models import (
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
from models.states import ATTEMPT_OPEN, InvoiceStatus
from services.audit import audit, before_after
from services.clock import business_today
from services.errors import PaydeskError
from services.invoices.discount import NO_DISCOUNT, Discount
from services.invoices.rules import dates_problem, lines_problem
from services.invoices.views import (
    PAYABLE,
    BusinessProfile,
    InvoiceDetail,
    InvoiceSummary,
    LineInput,
    OwedSummary,
    detail_of,
    line_rows,
    line_values,
    priced,
    summary_of,
    sums_of,
)
from services.text import refuse_controls


class InvoiceError(PaydeskError):
    """An invoice operation that cannot be done; the message says why."""


class InvoiceService:
    """Creates invoices and answers what a client owes."""

    def create(
        self,
        client_id: int,
        lines: list[LineInput],
        issue_date: date,
        due_date: date | None = None,
        notes: str = "",
        status: str = InvoiceStatus.SENT,
        recurring_id: int | None = None,
        period_start: date | None = None,
        actor: str = "system",
        address: str = "",
        discount: Discount = NO_DISCOUNT,
    ) -> InvoiceDetail:
        """A new invoice of these lines, the discount (if any) taken off before tax."""
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise InvoiceError(f"no client with id {client_id}")
        business_row = Business.get_by_id(client.business_id)
        _refuse(lines, issue_date, due_date, notes, business_row, discount)
        with write_lock():
            business = lock_rows(Business.select().where(Business.id == client.business_id)).get()
            number = f"{business.invoice_prefix}{business.next_invoice_number:04d}"
            Business.update(next_invoice_number=Business.next_invoice_number + 1).where(
                Business.id == business.id
            ).execute()
            due = due_date or issue_date + timedelta(days=business.payment_terms_days)
            rows = priced(lines, discount)
            invoice = Invoice.create(
                business=business,
                client=client,
                number=number,
                currency=business.currency,
                issue_date=issue_date,
                due_date=due,
                status=status,
                discount_kind=discount.kind,
                discount_value=discount.value,
                **sums_of(rows),
                notes=notes,
                recurring=recurring_id,
                period_start=period_start,
                sent_at=utcnow() if status == InvoiceStatus.SENT else None,
            )
            InvoiceLine.insert_many(line_rows(invoice.id, rows)).execute()
            detail = {"total": invoice.total, "client": client_id}
            audit(actor, "invoice.created", number, detail, address)
        return self.get(invoice.id)

    def update_draft(
        self,
        invoice_id: int,
        lines: list[LineInput],
        issue_date: date,
        due_date: date,
        notes: str = "",
        actor: str = "system",
        address: str = "",
        discount: Discount = NO_DISCOUNT,
    ) -> InvoiceDetail:
        """Replace a draft's lines, discount, dates and notes (the rules of `create`). Only a
        draft: what a client was sent is never changed under them (void it, issue another)."""
        inv = Invoice.get_or_none(Invoice.id == invoice_id)
        if inv is None:
            raise InvoiceError(f"no invoice with id {invoice_id}")
        _refuse(lines, issue_date, due_date, notes, Business.get_by_id(inv.business_id), discount)
        with write_lock():
            inv = lock_rows(Invoice.select().where(Invoice.id == invoice_id)).get()
            if inv.status != InvoiceStatus.DRAFT:
                raise InvoiceError(
                    f"{inv.number} is {inv.status}, not a draft: only drafts are edited "
                    "(void it and issue a new one)"
                )
            rows = priced(lines, discount)
            sums = sums_of(rows)
            was = _edited_fields(inv, InvoiceLine.select().where(InvoiceLine.invoice == inv.id))
            Invoice.update(
                issue_date=issue_date,
                due_date=due_date,
                notes=notes,
                discount_kind=discount.kind,
                discount_value=discount.value,
                **sums,
            ).where(Invoice.id == invoice_id).execute()
            InvoiceLine.delete().where(InvoiceLine.invoice == invoice_id).execute()
            InvoiceLine.insert_many(line_rows(invoice_id, rows)).execute()
            now: dict[str, Any] = {"issue_date": str(issue_date), "due_date": str(due_date)}
            now |= {"notes": notes, "discount_kind": discount.kind}
            now |= {"discount_value": discount.value, **sums, "lines": line_values(lines)}
            changed = before_after(was, now)
            detail = {"total": sums["total"], "client": inv.client_id, "changes": changed}
            audit(actor, "invoice.edited", inv.number, detail, address)
        return self.get(invoice_id)

    def get(self, invoice_id: int, today: date | None = None) -> InvoiceDetail:
        inv = Invoice.get_or_none(Invoice.id == invoice_id)
        if inv is None:
            raise InvoiceError(f"no invoice with id {invoice_id}")
        lines = InvoiceLine.select().where(InvoiceLine.invoice == inv.id)
        business = Business.get_by_id(inv.business_id)
        return detail_of(
            inv,
            business,
            Client.get_by_id(inv.client_id),
            lines.order_by(InvoiceLine.position),
            today or business_today(business.timezone),
        )

    def list_for_client(
        self, client_id: int, offset: int = 0, limit: int = 100, today: date | None = None
    ) -> list[InvoiceSummary]:
        """One page of a client's invoices: owed first (oldest due first), then the rest.

        Two indexed queries per page, whatever the number of invoices.
        """
        today = today or self.today_for_client(client_id)
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

    def drafts_of(self, client_id: int) -> list[InvoiceSummary]:
        """A client's drafts (never shown to the client): the owner's to send or void."""
        query = Invoice.select().where(
            (Invoice.client == client_id) & (Invoice.status == InvoiceStatus.DRAFT)
        )
        today = date.today()
        return [summary_of(inv, today) for inv in query.order_by(Invoice.id)]

    def count_for_client(self, client_id: int) -> int:
        return (
            Invoice.select()
            .where((Invoice.client == client_id) & (Invoice.status != InvoiceStatus.DRAFT))
            .count()
        )

    def owed(self, client_id: int, today: date | None = None) -> OwedSummary:
        """What a client owes: total, how many invoices, how many overdue, the oldest due date."""
        client = Client.get_by_id(client_id)
        business = Business.get_by_id(client.business_id)
        currency = business.currency
        today = today or business_today(business.timezone)
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

    def today_for_client(self, client_id: int) -> date:
        """Today in the time zone of the client's business."""
        return business_today(self.business_of_client(client_id).timezone)

    def business_of_client(self, client_id: int) -> BusinessProfile:
        business = Business.select().join(Client).where(Client.id == client_id).get()
        return BusinessProfile(business.name, business.currency, business.locale, business.timezone)

    def find_by_number(self, number: str, business_id: int | None = None) -> int | None:
        query = Invoice.select(Invoice.id).where(Invoice.number == number.strip().upper())
        if business_id is not None:
            query = query.where(Invoice.business == business_id)
        row = query.first()
        return row.id if row else None

    def void(self, invoice_id: int, actor: str = "system", address: str = "") -> None:
        """Void an unpaid invoice; its [View Invoice] codes stop working."""
        with write_lock():
            # Locked like `open_attempt` locks it, so a payment cannot start in between.
            inv = lock_rows(Invoice.select().where(Invoice.id == invoice_id)).first()
            if inv is None:
                raise InvoiceError(f"no invoice with id {invoice_id}")
            if inv.status == InvoiceStatus.VOID:
                return
            if inv.amount_paid > 0:
                raise InvoiceError(f"{inv.number} has payments; refund them before voiding")
            in_flight = (
                AttemptInvoice.select()
                .join(PaymentAttempt)
                .where(
                    (AttemptInvoice.invoice == invoice_id) & PaymentAttempt.status.in_(ATTEMPT_OPEN)
                )
                .exists()
            )
            if in_flight:  # the charge may still succeed; it must not land on a void invoice
                raise InvoiceError(
                    f"{inv.number} has a payment in progress; wait for it to finish "
                    "(or run `paydesk reconcile`) before voiding"
                )
            Invoice.update(status=InvoiceStatus.VOID, voided_at=utcnow()).where(
                Invoice.id == invoice_id
            ).execute()
            AccessCode.update(revoked_at=utcnow()).where(
                (AccessCode.invoice == invoice_id) & AccessCode.revoked_at.is_null()
            ).execute()
            detail = {"client": inv.client_id, "total": inv.total}
            detail["changes"] = {"status": [inv.status, InvoiceStatus.VOID]}
            audit(actor, "invoice.voided", inv.number, detail, address)

    def paid_by_allocations(self, invoice_id: int) -> int:
        """The sum of payment allocations to an invoice (for invariant checks)."""
        return int(
            PaymentAllocation.select(fn.COALESCE(fn.SUM(PaymentAllocation.amount), 0))
            .where(PaymentAllocation.invoice == invoice_id)
            .scalar()
        )


def _edited_fields(inv: Invoice, lines: Iterable[InvoiceLine]) -> dict[str, Any]:
    """The fields of a draft an edit may change, as the audit trail compares them."""
    return {
        "issue_date": str(inv.issue_date),
        "due_date": str(inv.due_date),
        "notes": inv.notes,
        "discount_kind": inv.discount_kind,
        "discount_value": inv.discount_value,
        "subtotal": inv.subtotal,
        "discount_total": inv.discount_total,
        "tax_total": inv.tax_total,
        "total": inv.total,
        "lines": line_values(sorted(lines, key=lambda line: line.position)),
    }


def _refuse(
    lines: list[LineInput],
    issue: date,
    due: date | None,
    notes: str,
    business: Business,
    discount: Discount = NO_DISCOUNT,
) -> None:
    """InvoiceError with the first reason these lines, discount, dates and notes cannot be
    invoiced."""
    texts = {f"line {n}": line.description for n, line in enumerate(lines, 1)}
    refuse_controls(InvoiceError, {**texts, "notes": notes}, multiline=("notes",))
    problem = lines_problem(lines, business.currency, discount) or dates_problem(issue, due)
    if problem:
        raise InvoiceError(problem)


def _owed_query(client_id: int):
    return Invoice.select().where(
        (Invoice.client == client_id)
        & Invoice.status.in_(PAYABLE)
        & (Invoice.total > Invoice.amount_paid)
    )


def _settled_query(client_id: int):
    return Invoice.select().where(
        (Invoice.client == client_id)
        & (Invoice.status != InvoiceStatus.DRAFT)
        & ~(Invoice.status.in_(PAYABLE) & (Invoice.total > Invoice.amount_paid))
    )
