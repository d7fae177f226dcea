"""InvoiceService: creating, reading, listing and voiding invoices; what a client owes."""

from __future__ import annotations

from datetime import date, timedelta

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
from services.audit import audit
from services.errors import PaydeskError
from services.invoices.views import (
    PAYABLE,
    BusinessProfile,
    InvoiceDetail,
    InvoiceSummary,
    LineInput,
    OwedSummary,
    detail_of,
    line_rows,
    lines_problem,
    priced,
    summary_of,
)


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
    ) -> InvoiceDetail:
        problem = lines_problem(lines)
        if problem:
            raise InvoiceError(problem)
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
                sent_at=utcnow() if status == InvoiceStatus.SENT else None,
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
            .where((Invoice.client == client_id) & (Invoice.status != InvoiceStatus.DRAFT))
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
        & (Invoice.status != InvoiceStatus.DRAFT)
        & ~(Invoice.status.in_(PAYABLE) & (Invoice.total > Invoice.amount_paid))
    )
