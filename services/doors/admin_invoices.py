"""The console's invoices: the list, the editor's drafts, sending, voiding, offline payments
and charging the client's default card, each on behalf of the owner (`who`), audited with
who and where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from models import Business, Invoice
from models.states import InvoiceStatus
from services.billing.sending import InvoiceSender, Sent
from services.clients.clients import find_by_ref
from services.clock import business_today
from services.console.invoice_list import InvoicePage, InvoiceQuery, invoice_page
from services.emails.billing import Door
from services.invoices.discount import NO_DISCOUNT, Discount
from services.invoices.invoices import InvoiceError
from services.invoices.line_fields import TaxRates
from services.invoices.views import InvoiceDetail, LineInput
from services.payments.cards import card_label, default_card
from services.payments.ledger import PaymentError, RecordedPayment
from services.payments.offline import record_offline
from services.payments.settle import PaymentResult
from services.settings.store import effective
from services.text import visible

if TYPE_CHECKING:
    from services.container import Services
    from services.doors.admin import AdminActor


@dataclass(frozen=True)
class ChargePlan:
    """What charging the default card now would do: asked of the owner before it is done."""

    invoice_id: int
    number: str
    client: str
    amount: int
    currency: str
    card_id: int
    card: str


class AdminInvoices:
    """What the console's Invoices section may do, for one owner."""

    def __init__(
        self, services: Services, who: AdminActor, business: Callable[[], Business]
    ) -> None:
        self._services = services
        self.who = who
        self._business = business

    def _today(self):
        return business_today(self._business().timezone)

    def page(
        self, ask: InvoiceQuery | None = None, offset: int = 0, limit: int = 50
    ) -> InvoicePage:
        """One page of the business's invoices (see InvoiceQuery), in two statements."""
        return invoice_page(
            self._business().id, self._today(), ask or InvoiceQuery(), offset, limit
        )

    # -- one invoice, drafts -----------------------------------------------------------------

    def get(self, invoice_id: int) -> InvoiceDetail:
        detail = self._services.invoices.get(invoice_id, self._today())
        if detail.business_id != self._business().id:
            raise InvoiceError(f"no invoice with id {invoice_id}")
        return detail

    def today(self) -> date:
        return self._today()

    def save_draft(
        self,
        invoice_id: int | None,
        client_ref: str,
        lines: list[LineInput],
        issue_date: date,
        due_date: date,
        notes: str,
        discount: Discount = NO_DISCOUNT,
    ) -> InvoiceDetail:
        """A new draft for the client (id or email), or this draft with new lines, discount
        and dates."""
        invoices, who = self._services.invoices, self.who
        if invoice_id is not None:
            self.get(invoice_id)
            return invoices.update_draft(
                invoice_id, lines, issue_date, due_date, notes, who.actor, who.address, discount
            )
        client = find_by_ref(client_ref.strip()) if client_ref.strip() else None
        if client is None or client.business_id != self._business().id:
            raise InvoiceError(f"no client {client_ref.strip()!r} (a client's email or id)")
        return invoices.create(
            client.id,
            lines,
            issue_date,
            due_date,
            notes,
            status=InvoiceStatus.DRAFT,
            actor=who.actor,
            address=who.address,
            discount=discount,
        )

    def tax_rates(self) -> TaxRates:
        """The named tax rates the owner keeps in Settings (the editor's tax field takes them)."""
        return effective(self._services.config).tax_rates

    def new_dates(self) -> tuple[date, date]:
        """A new invoice's issue and due dates: today, and today plus the business's terms."""
        today = self._today()
        return today, today + timedelta(days=self._business().payment_terms_days)

    # -- send, void --------------------------------------------------------------------------

    def send(self, invoice_id: int) -> Sent:
        """Email the invoice (a [View Invoice] code and the PDF), as `paydesk invoice send`:
        a draft becomes sent once its email went out; sent before: a copy with a new code."""
        self.get(invoice_id)
        services = self._services
        sender = InvoiceSender(services.mailer, services.codes, Door.stored(services.config))
        return sender.send(invoice_id, self.who.actor, self.who.address)

    def void(self, invoice_id: int) -> None:
        """Void it: its codes stop working and it cannot be paid (refused while a payment
        is in flight or anything was paid)."""
        self.get(invoice_id)
        self._services.invoices.void(invoice_id, self.who.actor, self.who.address)

    # -- payments ----------------------------------------------------------------------------

    def record_offline(
        self, invoice_id: int, amount: int, method: str, reference: str
    ) -> RecordedPayment:
        """A check or bank transfer received for the invoice (partial allowed); the client
        gets a receipt for it, as for a card payment."""
        self.get(invoice_id)
        recorded = record_offline(
            invoice_id, amount, method, reference, self.who.actor, self.who.address
        )
        self._services.payments.receipts.submit(recorded.id)
        return recorded

    def charge_plan(self, invoice_id: int) -> ChargePlan:
        """The amount (the balance), the client's default card and the client, to confirm."""
        invoice = self.get(invoice_id)
        if not invoice.payable:
            raise PaymentError(f"{invoice.number} is {invoice.status}: there is nothing to charge")
        card = default_card(invoice.client_id)
        if card is None:
            raise PaymentError(f"{invoice.client.name} has no saved card to charge")
        label = visible(card_label(card.brand, card.last4))
        return ChargePlan(
            invoice.id,
            invoice.number,
            invoice.client.name,
            invoice.balance,
            invoice.currency,
            card.id,
            label,
        )

    def charge(self, plan: ChargePlan) -> PaymentResult:
        """Charge the card confirmed, for the invoice's balance, through the one exactly-once
        path (PaymentService.pay): a double key press or a crash never charges twice."""
        invoice = self.get(plan.invoice_id)

        def unchanged() -> None:  # in the lock that writes the attempt: what was confirmed
            now = Invoice.get_by_id(plan.invoice_id)
            if now.total - now.amount_paid != plan.amount:
                raise PaymentError(
                    f"{plan.number}'s balance changed since you confirmed; nothing was charged"
                )

        return self._services.payments.pay(
            invoice.client_id,
            [plan.invoice_id],
            plan.card_id,
            source="admin",
            actor=self.who.actor,
            address=self.who.address,
            off_session=True,  # the client is not there to confirm (3-D Secure comes back)
            guard=unchanged,
        )
