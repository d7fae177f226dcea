"""The run's third phase: email each new invoice (code, PDF, text + HTML), in batches.

Per batch of billing rows, a few queries read what the emails need (the mail log, the
invoices' lines, clients, contacts, default cards); each email is rendered (a new access
code, the PDF, the message); then one transaction claims the batch's mail-log rows and
stores the codes of the claimed ones; the claimed emails are delivered together and the
outcome recorded with one statement each (services/mail/batch.py). An event is mailed at
most once: an email another pass claimed first is left to it, one already sent is only
marked, one that failed is retried by `Mailer.retry_due()` once its backoff is over
(services/mail/backoff.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from email.utils import formataddr
from typing import Any, ClassVar, cast

from models import (
    Business,
    Client,
    Contact,
    EmailLog,
    Invoice,
    InvoiceBilling,
    InvoiceLine,
    PaymentMethod,
    utcnow,
)
from models.bulk_rows import chunks
from models.states import CHARGE_WAITING_STATES, InvoiceStatus
from services.accounts.access_codes import new_code
from services.billing.phases.context import RunContext
from services.billing.policy import default_cards, saved_card_label
from services.billing.summary import PhaseResult
from services.clock import business_today
from services.dates import format_day
from services.emails.billing import (
    AutobillNotice,
    Door,
    how_to_pay_text,
    invoice_subject,
    new_invoice_email,
)
from services.faults import pause_point
from services.invoices.pdf_pool import PdfPool, default_workers
from services.invoices.views import detail_of
from services.mail.batch import MailBatch, Outgoing

log = logging.getLogger("paydesk.run")

BATCH = 200  # emails per claim / delivery


@dataclass
class EmailResult(PhaseResult):
    """Invoice emails sent (dry: to send) and failed, and failed emails mailed again."""

    renamed: ClassVar[dict[str, str]] = {"sent": "emailed", "failed": "email_failed"}

    sent: int = 0
    failed: int = 0
    mail_retried: int = 0


class EmailPhase:
    """Mails again what failed, then emails every invoice not emailed yet."""

    name = "email"

    def __init__(self, mailer, access_codes, door: Door, config) -> None:
        self.mailer = mailer
        self.codes = access_codes
        self.door = door
        self.config = config

    def plan(self, ctx: RunContext) -> EmailResult:
        rows = list(unemailed())
        fresh, _, waiting = _by_log(rows, _Context.load(rows).logs)
        failed = sum(len(ids) for ids in waiting.values())
        return EmailResult(sent=len(fresh) + len(ctx.new_periods), failed=failed)

    def run(self, ctx: RunContext) -> EmailResult:
        retried = self.mailer.retry_due()
        workers = self.config.run.pdf_workers
        emails = InvoiceEmails(
            self.mailer,
            self.codes,
            self.door,
            pdf_workers=default_workers() if workers is None else int(workers),
        )
        emails.today = ctx.today  # the pass's today (--as-of), for "past due"
        result = emails.run(lambda done, total: ctx.progress(self.name, done, total))
        result.mail_retried = retried
        return result


def unemailed():
    """Billing rows whose invoice email has not gone out yet (a void invoice never does)."""
    return (
        InvoiceBilling.select(InvoiceBilling, Invoice)
        .join(Invoice)
        .where(InvoiceBilling.emailed_at.is_null() & (Invoice.status != InvoiceStatus.VOID))
        .order_by(InvoiceBilling.id)
    )


def invoice_key(invoice_id: int) -> str:
    """The mail-log event of an invoice's (first) email."""
    return f"invoice:{invoice_id}"


def _by_log(
    rows: list[InvoiceBilling],
    logs: dict[str, tuple[str, str | None]],
    key_of: Callable[[int], str] = invoice_key,
    reclaim: bool = False,
) -> tuple[list[InvoiceBilling], list[int], dict[str, list[int]]]:
    """Rows with no email yet; invoices whose email went out; the others by their error.

    A failed email is re-sent by `Mailer.retry_due()` once due (or, with `reclaim`,
    written and sent again now); a pending one is being sent by another process right now.
    """
    fresh: list[InvoiceBilling] = []
    sent: list[int] = []
    waiting: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        logged = logs.get(key_of(row.invoice_id))
        if logged is None or (reclaim and logged[0] == "failed"):
            fresh.append(row)
        elif logged[0] == "sent":
            sent.append(row.invoice_id)
        else:
            waiting[logged[1] or "not confirmed yet"].append(row.invoice_id)
    return fresh, sent, waiting


class InvoiceEmails:
    """Sends the new-invoice emails of billing rows not yet emailed."""

    def __init__(
        self,
        mailer,
        access_codes,
        door: Door,
        batch: int = BATCH,
        pdf_workers: int = 0,
        key_of: Callable[[int], str] = invoice_key,
    ) -> None:
        self.key_of = key_of  # the mail-log event of each invoice's email
        self.today: dict[int, date] = {}  # each business's today; unset: business_today
        self.mailer = mailer
        self.codes = access_codes
        self.door = door
        self.batch = batch
        self.sender = MailBatch(mailer)
        self.pdfs = PdfPool(pdf_workers)

    def run(self, progress: Callable[[int, int], None] = lambda done, total: None) -> EmailResult:
        result = EmailResult()
        self.sender.recover()  # batches a killed pass left half-delivered: finished or undone
        rows = list(unemailed())
        progress(0, len(rows))
        try:
            self._batches(rows, result, progress)
        finally:
            self.pdfs.close()
        return result

    def _batches(self, rows: list, result: EmailResult, progress: Callable) -> int:
        total, done = len(rows), 0
        for chunk in chunks(rows, self.batch):
            try:
                sent = self.email_batch(list(chunk), result)
            except Exception as exc:  # noqa: BLE001 - one bad batch never stops the pass
                log.exception("emails of invoices %s..: failed", chunk[0].invoice_id)
                result.errors += [
                    f"email invoice {row.invoice_id}: {type(exc).__name__}" for row in chunk
                ]
                result.failed += len(chunk)
                sent = 0
            if sent:
                pause_point("run:emailed_one")
            done += len(chunk)
            progress(done, total)
        return done

    def email_batch(
        self, rows: list[InvoiceBilling], result: EmailResult, reclaim: bool = False
    ) -> int:
        """Email one batch; returns how many went out now. With `reclaim`, an email that
        failed is written (new code, new PDF) and sent again now, under the same event."""
        ctx = _Context.load(rows, self.key_of)
        marks: dict[str | None, list[int]] = defaultdict(list)  # error (None: sent) → ids
        fresh, sent_before, waiting = _by_log(rows, ctx.logs, self.key_of, reclaim)
        marks[None] += sent_before
        for error, invoice_ids in waiting.items():
            marks[error] += invoice_ids
            result.failed += len(invoice_ids)
        ctx.load_details(fresh, self.today)
        drafts: list[_Draft] = []
        for row in fresh:
            try:
                drafts.append(self._draft(row, ctx))
            except Exception as exc:  # noqa: BLE001 - one bad invoice never stops the pass
                self._failed(row.invoice_id, type(exc).__name__, result, marks)
        # The PDFs are drawn (on the second core too) while the messages' text is written.
        pending = self.pdfs.submit([draft.pdf_job for draft in drafts])
        for draft in drafts:
            draft.compose(self.door)
        rendered: list[tuple[Outgoing, bytes]] = []
        for draft, pdf in zip(drafts, self.pdfs.collect(pending), strict=True):
            try:
                if isinstance(pdf, str):
                    raise _PdfFailed(pdf)
                rendered.append((draft.item, draft.render(self.sender, pdf)))
            except Exception as exc:  # noqa: BLE001 - one bad invoice never stops the pass
                error = str(exc) if isinstance(exc, _PdfFailed) else type(exc).__name__
                self._failed(draft.item.extra["invoice"], error, result, marks)

        def store_codes(claimed: list[Outgoing]) -> None:
            self.codes.store_many(
                [
                    (
                        item.extra["code"],
                        item.extra["invoice"],
                        item.extra["contact"],
                        item.extra["due"],
                    )
                    for item in claimed
                ]
            )

        outcome = self.sender.send(rendered, reclaim=reclaim, with_claim=store_codes)
        sent = 0
        for item, _ in rendered:
            if item.key not in outcome:
                continue  # another pass claimed it first and records it
            failure = outcome[item.key]
            marks[failure].append(item.extra["invoice"])
            if failure is None:
                sent += 1
            else:
                result.failed += 1
        _mark(marks)
        result.sent += sent
        return sent

    @staticmethod
    def _failed(invoice_id: int, error: str, result: EmailResult, marks: dict) -> None:
        log.error("invoice %s: the email could not be built (%s)", invoice_id, error)
        result.errors.append(f"email invoice {invoice_id}: {error}")
        result.failed += 1
        marks[f"{error}: could not build the email"].append(invoice_id)

    def _draft(self, row: InvoiceBilling, ctx: _Context) -> _Draft:
        inv = row.invoice
        detail = ctx.details[row.invoice_id]
        business = ctx.businesses[inv.business_id]
        today = ctx.today[inv.business_id]
        notice = None
        if row.charge_state in CHARGE_WAITING_STATES:
            notice = AutobillNotice(
                row.charge_on or detail.due_date, saved_card_label(ctx.cards.get(inv.client_id))
            )
        code = new_code()
        status_line = ""
        if notice and notice.card_label:
            # A charge date gone by (a caught-up or back-filled period): charged this pass.
            status_line = (
                f"Automatic payment: {notice.card_label} will be charged on "
                f"{format_day(max(notice.charge_on, today), business.locale)}."
            )
        item = Outgoing(
            key=self.key_of(row.invoice_id),
            to=detail.client.email,
            subject=invoice_subject(detail, today=today),
            sender=formataddr((business.name, business.billing_email)),
            extra={
                "code": code,
                "invoice": row.invoice_id,
                "contact": ctx.contacts.get(inv.client_id),
                "due": detail.due_date,
            },
        )
        return _Draft(
            item,
            detail,
            code,
            notice,
            (detail, how_to_pay_text(self.door, code), status_line),
            today,
        )


class _PdfFailed(Exception):
    pass


@dataclass
class _Draft:
    """One invoice email on its way: headers and code first, text, then the PDF."""

    item: Outgoing
    detail: Any
    code: str
    notice: AutobillNotice | None
    pdf_job: tuple
    today: date
    message: Any = None

    def compose(self, door: Door) -> None:
        self.message = new_invoice_email(self.detail, self.code, door, b"", self.notice, self.today)

    def render(self, sender: MailBatch, pdf: bytes) -> bytes:
        attachments = [(name, mimetype, pdf) for name, mimetype, _ in self.message.attachments]
        return sender.render(self.item, self.message.text, self.message.html, attachments)


def _mark(marks: dict[str | None, list[int]]) -> None:
    """The billing rows' email state: sent ones stamped (and a draft, a one-off invoice
    whose email went out, is sent now), the others' error kept (one statement per distinct
    outcome)."""
    for error, invoice_ids in marks.items():
        if error is None:
            now = utcnow()
            InvoiceBilling.update(emailed_at=now, email_error=None).where(
                InvoiceBilling.invoice.in_(invoice_ids) & InvoiceBilling.emailed_at.is_null()
            ).execute()
            Invoice.update(status=InvoiceStatus.SENT, sent_at=now).where(
                Invoice.id.in_(invoice_ids) & (Invoice.status == InvoiceStatus.DRAFT)
            ).execute()
        else:
            InvoiceBilling.update(
                email_error=error[:1000], email_tries=InvoiceBilling.email_tries + 1
            ).where(InvoiceBilling.invoice.in_(invoice_ids)).execute()


class _Context:
    """What a batch of invoice emails needs, read in a few queries instead of per invoice."""

    def __init__(self) -> None:
        self.logs: dict[str, tuple[str, str | None]] = {}
        self.contacts: dict[int, int] = {}
        self.cards: dict[int, PaymentMethod] = {}
        self.businesses: dict[int, Business] = {}
        self.today: dict[int, date] = {}  # each business's today
        self.details: dict[int, Any] = {}

    @classmethod
    def load(
        cls, rows: list[InvoiceBilling], key_of: Callable[[int], str] = invoice_key
    ) -> _Context:
        ctx = cls()
        keys = [key_of(row.invoice_id) for row in rows]
        if keys:
            logged = (
                EmailLog.select(EmailLog.event_key, EmailLog.status, EmailLog.last_error)
                .where(EmailLog.event_key.in_(keys))
                .tuples()
            )
            for key, status, error in cast("Iterable[tuple[str, str, str | None]]", logged):
                ctx.logs[key] = (status, error)
        return ctx

    def load_details(self, rows: list[InvoiceBilling], today: dict[int, date]) -> None:
        if not rows:
            return
        invoices = [row.invoice for row in rows]
        client_ids = {inv.client_id for inv in invoices}
        for business_id in {inv.business_id for inv in invoices}:
            business = self.businesses[business_id] = Business.get_by_id(business_id)
            self.today[business_id] = today.get(business_id) or business_today(business.timezone)
        clients = {c.id: c for c in Client.select().where(Client.id.in_(client_ids))}
        lines: dict[int, list[InvoiceLine]] = defaultdict(list)
        for line in (
            InvoiceLine.select()
            .where(InvoiceLine.invoice.in_([inv.id for inv in invoices]))
            .order_by(InvoiceLine.invoice, InvoiceLine.position)
        ):
            lines[line.invoice_id].append(line)
        for inv in invoices:
            business = self.businesses[inv.business_id]
            self.details[inv.id] = detail_of(
                inv, business, clients[inv.client_id], lines[inv.id], self.today[business.id]
            )
        contacts = (
            Contact.select(Contact.id, Contact.client)
            .where(Contact.client.in_(client_ids) & (Contact.role == "client"))
            .order_by(Contact.id.desc())
            .tuples()
        )
        for contact_id, client_id in cast("Iterable[tuple[int, int]]", contacts):
            self.contacts[client_id] = contact_id  # the oldest wins (ordered newest first)
        self.cards = default_cards(client_ids)
