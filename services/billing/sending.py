"""Emailing one invoice now: `paydesk invoice add` (unless --draft) and `paydesk invoice send`.

The email is the run's (services/billing/phases/email.py): a new [View Invoice] code, the
ssh command, the PDF. An invoice is `sent` only once its email went out; one whose email
failed stays a draft, and `paydesk run` (or `invoice send`) tries again. Sending an invoice
whose email went out already sends a copy, with a new code, under an event of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import Invoice, InvoiceBilling, utcnow
from models.states import ChargeState, InvoiceStatus
from services.audit import audit
from services.billing.phases.email import EmailResult, InvoiceEmails, invoice_key
from services.emails.billing import Door
from services.invoices.invoices import InvoiceError


@dataclass(frozen=True)
class Sent:
    """What sending did: went out (to whom), a copy of one sent before, or the error."""

    number: str
    to: str
    sent: bool
    copy: bool
    error: str = ""


class InvoiceSender:
    """Sends one invoice's email now, through the run's invoice emails."""

    def __init__(self, mailer, access_codes, door: Door) -> None:
        self.mailer = mailer
        self.codes = access_codes
        self.door = door

    def send(self, invoice_id: int, actor: str = "cli", address: str = "") -> Sent:
        invoice = Invoice.get_or_none(Invoice.id == invoice_id)
        if invoice is None:
            raise InvoiceError(f"no invoice with id {invoice_id}")
        if invoice.status == InvoiceStatus.VOID:
            raise InvoiceError(f"{invoice.number} is void; a void invoice is not sent")
        if invoice.status == InvoiceStatus.PAID:
            raise InvoiceError(f"{invoice.number} is paid; there is nothing to ask for")
        row, _ = InvoiceBilling.get_or_create(
            invoice=invoice.id, defaults={"charge_state": ChargeState.NONE}
        )
        copy = row.emailed_at is not None
        key_of = invoice_key
        if copy:
            stamp = utcnow().strftime("%Y%m%dT%H%M%S.%f")
            key_of = lambda invoice_id: f"{invoice_key(invoice_id)}:copy:{stamp}"  # noqa: E731
        emails = InvoiceEmails(self.mailer, self.codes, self.door, key_of=key_of)
        result = EmailResult()
        try:
            emails.email_batch([row], result, reclaim=True)
        finally:
            emails.pdfs.close()
        to = invoice.client.email
        if result.sent:
            what = "invoice.resent" if copy else "invoice.sent"
            audit(actor, what, invoice.number, {"client": invoice.client_id}, address)
            return Sent(invoice.number, to, True, copy)
        row = InvoiceBilling.get_by_id(row.id)
        error = row.email_error or "; ".join(result.errors) or "another process is sending it"
        return Sent(invoice.number, to, False, copy, error)
