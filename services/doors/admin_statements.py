"""The console's receivables and statements: the aging on any day, a client's statement on
screen and as a PDF, and emailing it with a [View Invoice] code for each invoice open now,
on behalf of the owner (`who`), the send audited with who and where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING

from models import Business, Client, Contact, Invoice, utcnow
from services.audit import audit
from services.clock import business_today
from services.console.aging import AgingPage, aging_page
from services.console.statements import Statement, default_range, statement
from services.emails.billing import Door, how_to_pay_text
from services.emails.statements import OpenCode, statement_email
from services.errors import PaydeskError
from services.invoices.views import is_payable

if TYPE_CHECKING:
    from services.container import Services
    from services.doors.admin import AdminActor

MAX_CODES = 20  # open invoices given a code of their own in one email; the rest: log in


class StatementError(PaydeskError):
    """A statement that cannot be made or sent as asked (said in one line)."""


@dataclass(frozen=True)
class StatementSent:
    """What emailing a statement did: to whom, how many codes, or the error."""

    to: str
    sent: bool
    codes: int
    error: str = ""


class AdminStatements:
    """What the console's Receivables section and statements may do, for one owner."""

    def __init__(
        self, services: Services, who: AdminActor, business: Callable[[], Business]
    ) -> None:
        self._services = services
        self.who = who
        self._business = business

    def today(self) -> date:
        return business_today(self._business().timezone)

    def aging(
        self, day: date | None = None, offset: int = 0, limit: int = 50, sort: str = "owed"
    ) -> AgingPage:
        """The aging at the end of `day` (default: today): totals and a page of clients."""
        b = self._business()
        day = day or self.today()
        if day > self.today():
            raise StatementError("The aging is of a day gone by or today, not of the future.")
        return aging_page(b.id, day, b.timezone, offset, limit, sort)

    def default_range(self) -> tuple[date, date]:
        return default_range(self.today())

    def statement(self, client_id: int, start: date, end: date) -> Statement:
        """The client's statement for `start`–`end` (both the business's days, included)."""
        client = Client.get_or_none(Client.id == client_id)
        if client is None or client.business_id != self._business().id:
            raise StatementError(f"no client with id {client_id}")
        if start > end:
            raise StatementError("The statement's start is after its end.")
        if end > self.today():
            raise StatementError("A statement ends today at the latest.")
        return statement(client_id, start, end)

    def pdf(self, st: Statement) -> bytes:
        door = Door.stored(self._services.config)
        from services.console.statement_pdf import render_statement_pdf  # fpdf: on demand

        return render_statement_pdf(st, how_to_pay_text(door))

    def save_pdf(self, st: Statement) -> Path:
        """Write the statement's PDF into the data dir's `statements` folder (a new name for
        each save: client, range and the moment made); audited. Its path."""
        folder = self._services.config.home / "statements"
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        base = f"statement-{st.client_id}-{st.start}-{st.end}-{stamp}"
        path, n = folder / f"{base}.pdf", 1
        while path.exists():
            n += 1
            path = folder / f"{base}-{n}.pdf"
        path.write_bytes(self.pdf(st))
        detail = {"file": path.name, "from": st.start.isoformat(), "until": st.end.isoformat()}
        audit(self.who.actor, "statement.saved", f"client:{st.client_id}", detail, self.who.address)
        return path

    def send(self, client_id: int, start: date, end: date) -> StatementSent:
        """Email the statement to the client's billing address: the PDF, and a new [View
        Invoice] code for each invoice still open now (at most MAX_CODES). Audited."""
        services, who = self._services, self.who
        st = self.statement(client_id, start, end)
        business = self._business()
        today = self.today()
        open_now = (
            Invoice.select(Invoice.id, Invoice.number, Invoice.status, Invoice.total,
                           Invoice.amount_paid, Invoice.due_date)
            .where(Invoice.client == client_id)
            .order_by(Invoice.due_date, Invoice.id)
        )  # fmt: skip
        payable = [inv for inv in open_now if is_payable(inv.status, inv.total - inv.amount_paid)]
        contact = (
            Contact.select(Contact.id)
            .where((Contact.client == client_id) & (Contact.role == "client"))
            .order_by(Contact.id)
            .first()
        )
        codes = [
            OpenCode(
                inv.number,
                inv.total - inv.amount_paid,
                inv.due_date,
                services.codes.create(
                    inv.id,
                    contact.id if contact else None,
                    actor=who.actor,
                    detail={"for": "statement"},
                ),
            )
            for inv in payable[:MAX_CODES]
        ]
        door = Door.stored(services.config)
        from services.console.statement_pdf import render_statement_pdf  # fpdf: on demand

        pdf = render_statement_pdf(st, how_to_pay_text(door))
        email = statement_email(st, codes, door, pdf, more=len(payable) - len(codes))
        to = Client.get_by_id(client_id).email
        key = f"statement:{client_id}:{utcnow().strftime('%Y%m%dT%H%M%S.%f')}"
        sent = services.mailer.send(
            to,
            email.subject,
            email.text,
            email.html,
            email.attachments,
            event_key=key,
            sender=formataddr((business.name, business.billing_email)),
        )
        error = "" if sent else "the email could not be delivered now; it is retried"
        audit(
            who.actor,
            "statement.sent" if sent else "statement.send_failed",
            f"client:{client_id}",
            {
                "to": to,
                "from": st.start.isoformat(),
                "until": st.end.isoformat(),
                "closing": st.closing,
                "codes": len(codes),
                "today": today.isoformat(),
            },
            who.address,
        )
        return StatementSent(to, sent, len(codes), error)
