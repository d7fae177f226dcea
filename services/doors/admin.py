"""The owner's console's door: everything the console may ask, and who is asking.

`AdminActor` is the one place the owner's identity lives: the audit rows of every console
action name `actor` (`admin:local:<user>` at the server's terminal, `admin:key:SHA256:…`
over SSH) and `address` (`local`, or the SSH client's address). The door passes both to
each service call it makes on the owner's behalf.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from models import Business
from services.audit import AuditEntry, audit
from services.billing.recurring_views import RecurringView
from services.clients.clients import ClientView, ContactView
from services.clock import business_today
from services.console.attention import Attention, attention
from services.console.audit_log import AuditPage, AuditQuery, audit_entry, audit_log_page
from services.console.client_detail import (
    AutobillChange,
    PaymentRow,
    audit_page,
    autobill_changes,
    payments_page,
)
from services.console.client_list import ClientPage, ClientQuery, client_page
from services.console.next_run import NextRun, next_run
from services.console.palette_search import Found, find
from services.console.receivables import Receivables, Received, receivables, received_this_month
from services.console.revenue import ClientRevenuePage, Revenue, client_revenue_page, revenue
from services.doors.admin_clients import AdminClients
from services.doors.admin_exports import AdminExports
from services.doors.admin_invoices import AdminInvoices
from services.doors.admin_outbox import AdminOutbox
from services.doors.admin_payments import AdminPayments
from services.doors.admin_recurring import AdminRecurring
from services.doors.admin_settings import AdminSettings
from services.doors.admin_statements import AdminStatements
from services.errors import PaydeskError
from services.invoices.views import BusinessProfile, InvoiceSummary
from services.payments.cards import CardView
from services.text import visible

if TYPE_CHECKING:
    from services.container import Services

NO_BUSINESS = "No business yet: run `paydesk init` (or `paydesk demo --seed-only`) first."


class NoBusiness(PaydeskError):
    """The data dir has no business to run yet."""


@dataclass(frozen=True)
class AdminActor:
    """Who the owner is in the audit trail, and where the console was opened from."""

    actor: str
    address: str

    @classmethod
    def local(cls, user: str) -> AdminActor:
        """The owner at the server's own terminal (`paydesk admin`), by their login name."""
        return cls(f"admin:local:{user or 'unknown'}", "local")

    @classmethod
    def ssh_key(cls, fingerprint: str, address: str = "") -> AdminActor:
        """The owner over `ssh admin@…`, by the fingerprint of the key they signed in with."""
        return cls(f"admin:key:{fingerprint}", address)

    @property
    def where(self) -> str:
        """Where the console is, for its title bar."""
        kind, _, who = self.actor.removeprefix("admin:").partition(":")
        if kind == "local":
            return f"local console ({who})"
        return f"SSH key {who[:19]}…" if len(who) > 20 else f"SSH key {who}"


@dataclass(frozen=True)
class ClientCard:
    """Everything the client detail shows at once (the long lists come in pages)."""

    client: ClientView
    contacts: tuple[ContactView, ...]
    owed: int
    overdue_count: int
    invoice_count: int
    recurring: tuple[RecurringView, ...]
    autobill_changes: dict[int, AutobillChange]
    cards: tuple[CardView, ...]


class AdminDoor:
    """The console's facade over the services, for one owner (`who`)."""

    def __init__(self, services: Services, who: AdminActor) -> None:
        self._services = services
        self.who = who
        self._business: Business | None = None

    # -- the business ----------------------------------------------------------------------

    def business(self) -> Business:
        if self._business is None:
            self._business = Business.select().order_by(Business.id).first()
            if self._business is None:
                raise NoBusiness(NO_BUSINESS)
        return self._business

    def profile(self) -> BusinessProfile:
        b = self.business()
        return BusinessProfile(b.name, b.currency, b.locale, b.timezone)

    def today(self) -> date:
        """The business's today (its time zone)."""
        return business_today(self.business().timezone)

    # -- the session -----------------------------------------------------------------------

    def opened(self) -> None:
        """Record that the owner opened the console (audited with who and where)."""
        audit(self.who.actor, "admin.opened", "console", {}, self.who.address)

    def closed(self) -> None:
        audit(self.who.actor, "admin.closed", "console", {}, self.who.address)

    # -- overview --------------------------------------------------------------------------

    def receivables(self) -> Receivables:
        return receivables(self.business().id, self.today())

    def received(self) -> Received:
        b = self.business()
        return received_this_month(b.id, self.today(), b.timezone)

    def revenue(self) -> Revenue:
        """The twelve months up to this one, net of refunds (see services/console/revenue)."""
        b = self.business()
        return revenue(b.id, self.today(), b.timezone)

    def revenue_clients(self, offset: int = 0, limit: int = 50) -> ClientRevenuePage:
        b = self.business()
        return client_revenue_page(b.id, self.today(), b.timezone, offset, limit)

    def attention(self, limit: int = 50) -> Attention:
        return attention(self.business(), limit)

    def next_run(self, limit: int = 50) -> NextRun:
        return next_run(self._services, self.business(), self.today(), limit)

    @property
    def recurring(self) -> AdminRecurring:
        return AdminRecurring(self._services, self.who, self.business, self.today)

    @property
    def invoices(self) -> AdminInvoices:
        return AdminInvoices(self._services, self.who, self.business)

    # -- clients ---------------------------------------------------------------------------

    def clients(
        self, ask: ClientQuery | None = None, offset: int = 0, limit: int = 50
    ) -> ClientPage:
        """One page of clients (see ClientQuery), counted and read in two statements."""
        return client_page(self.business().id, self.today(), ask or ClientQuery(), offset, limit)

    def client(self, client_id: int) -> ClientCard:
        services = self._services
        view = services.clients.get(client_id)
        owed = services.invoices.owed(client_id, self.today())
        recurring = tuple(services.recurring.list_for_client(client_id))
        return ClientCard(
            client=view,
            contacts=tuple(services.clients.contacts(client_id)),
            owed=owed.total,
            overdue_count=owed.overdue_count,
            invoice_count=services.invoices.count_for_client(client_id),
            recurring=recurring,
            autobill_changes=autobill_changes([r.id for r in recurring]),
            cards=tuple(replace(c, label=visible(c.label)) for c in services.cards.list(client_id)),
        )

    def client_invoices(
        self, client_id: int, offset: int, limit: int
    ) -> tuple[list[InvoiceSummary], int]:
        """A page of the client's invoices (owed first) and how many there are."""
        invoices = self._services.invoices
        rows = invoices.list_for_client(client_id, offset, limit, self.today())
        return rows, invoices.count_for_client(client_id)

    def client_payments(
        self, client_id: int, offset: int, limit: int
    ) -> tuple[list[PaymentRow], int]:
        return payments_page(client_id, offset, limit)

    def client_audit(self, client_id: int, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
        return audit_page(client_id, offset, limit)

    def find(self, text: str, limit: int = 8) -> list[Found]:
        """Clients, invoices and payments matching `text`, for the command palette."""
        return find(self.business().id, text, limit)

    # -- the audit log ---------------------------------------------------------------------

    def audit_log(
        self, ask: AuditQuery | None = None, offset: int = 0, limit: int = 50
    ) -> AuditPage:
        """One page of the whole trail (see AuditQuery), newest first."""
        return audit_log_page(self.business().timezone, ask or AuditQuery(), offset, limit)

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        return audit_entry(entry_id)

    # -- sections (services/doors/admin_<area>.py) -------------------------------------------

    @property
    def payments(self) -> AdminPayments:
        return AdminPayments(self._services, self.who, self.business())

    @property
    def outbox(self) -> AdminOutbox:
        return AdminOutbox(self._services, self.who, self.business())

    @property
    def exports(self) -> AdminExports:
        return AdminExports(self._services, self.who, self.business(), self.today())

    @property
    def statements(self) -> AdminStatements:
        return AdminStatements(self._services, self.who, self.business)

    @property
    def client_edits(self) -> AdminClients:
        return AdminClients(self._services, self.who, self.business().id)

    @property
    def settings(self) -> AdminSettings:
        return AdminSettings(self._services, self.who, self.business().id, self._forget_business)

    def _forget_business(self) -> None:
        """Read the business again next time (its settings were changed)."""
        self._business = None
