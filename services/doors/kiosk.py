"""The kiosk's door: a lobby before sign-in, then a desk scoped to one client or one code.

A screen holds one of these and nothing else of the services, so it cannot ask for another
client's invoice: `ClientDesk` answers only for the signed-in client, `CodeDesk` only for the
one invoice a [View Invoice] code opened. Both refuse anything else with `NotYours`.

The admin console's door (`services/doors/console.py`) and the web side's
(`services/doors/web.py`) are to sit beside this module, built the same way by `Services`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from models import PaymentAttempt, utcnow
from services.accounts.access_codes import AccessCodeService
from services.accounts.accounts import AccountService
from services.accounts.identity import LoginError, SessionInfo
from services.billing.recurring import NextCharge, RecurringService, RecurringView
from services.errors import PaydeskError
from services.invoices.invoices import InvoiceService
from services.invoices.views import BusinessProfile, InvoiceDetail, InvoiceSummary, OwedSummary
from services.payments import action_wait
from services.payments.card_links import CardLinkService, LinkStatus, NewCardLink
from services.payments.cards import CardService, CardView
from services.payments.payments import PaymentService
from services.payments.settle import ACTION_TIMEOUT, PaymentResult
from services.text import visible

NO_CLIENT = "This login has no invoices to pay here; the kiosk is for clients."


class NotYours(PaydeskError):
    """The desk was asked for an invoice that is not its client's (or not its code's)."""


@dataclass(frozen=True)
class KioskParts:
    """The services the kiosk's door stands on."""

    sandbox: bool
    invoices: InvoiceService
    cards: CardService
    card_links: CardLinkService
    payments: PaymentService
    recurring: RecurringService
    accounts: AccountService
    codes: AccessCodeService
    public_url: str  # PAYDESK_PUBLIC_URL: where the hosted pages are
    idle_timeout: Callable[[], float]  # seconds before Login again: stored, else the config's


@dataclass(frozen=True)
class ActionLink:
    """The hosted invoice page that finishes a payment waiting for 3-D Secure."""

    url: str
    attempt_id: int
    invoice_number: str  # the invoice whose page it is
    expires_at: datetime


class Desk:
    """What every kiosk desk offers: one invoice it may see, the client's cards, paying."""

    source = ""

    def __init__(self, parts: KioskParts, client_id: int, business_id: int, address: str):
        self._parts = parts
        self.client_id = client_id
        self.business_id = business_id
        self.address = address
        # Read as the desk opens (in the sign-in worker): the console's value takes effect
        # at the next sign-in.
        self.idle_timeout = parts.idle_timeout()

    @property
    def actor(self) -> str:
        """Who the audit log names for this desk's actions."""
        raise NotImplementedError

    @property
    def email(self) -> str:
        """Where receipts go ("" when the desk does not know)."""
        return ""

    @property
    def sandbox(self) -> bool:
        return self._parts.sandbox

    def profile(self) -> BusinessProfile:
        """How the client's business shows amounts and dates."""
        return self._parts.invoices.business_of_client(self.client_id)

    def invoice(self, invoice_id: int) -> InvoiceDetail:
        """One invoice this desk may see; NotYours for any other."""
        self._check(invoice_id)
        self._parts.payments.settle_crashed([invoice_id])  # a killed session's payment
        detail = self._parts.invoices.get(invoice_id)
        if detail.client_id != self.client_id:
            raise NotYours("That invoice is not one of yours.")
        return detail

    def cards(self) -> list[CardView]:
        return self._parts.cards.list(self.client_id)

    def default_card(self) -> CardView | None:
        """The card a payment uses when none is chosen (see CardService.default)."""
        return self._parts.cards.default(self.client_id)

    def add_test_card(self, kind: str) -> CardView:
        return self._parts.cards.add_test_card(self.client_id, kind, actor=self.actor)

    def new_card_link(self) -> NewCardLink:
        """A one-time link to the hosted card page for this desk's client."""
        return self._parts.card_links.create(self.client_id, actor=self.actor)

    def card_link_status(self, link_id: int, check_stripe: bool = False) -> LinkStatus:
        """Whether the link (this client's only) has saved a card yet."""
        return self._parts.card_links.status(self.client_id, link_id, check_stripe)

    def pay(self, invoice_ids: list[int], card_id: int) -> PaymentResult:
        """Pay these invoices in full with a saved card (one charge); NotYours if not ours."""
        for invoice_id in invoice_ids:
            self._check(invoice_id)
        return self._parts.payments.pay(
            self.client_id,
            invoice_ids,
            card_id,
            source=self.source,
            actor=self.actor,
            address=self.address,
        )

    def action_link(self, attempt_id: int) -> ActionLink:
        """A link to the page that finishes this desk's payment waiting for 3-D Secure: the
        hosted invoice page (`/i/CODE`) of one of its invoices, opened by a fresh access code
        that lasts as long as the bank's wait. The code is in the link only; the audit trail
        names the invoice and the attempt, never the code. A payment of several invoices is
        finished, for all of them, from the page of the first (the page says what it covers).
        """
        attempt = self._attempt(attempt_id)
        invoice_ids = action_wait.waiting_invoices(attempt)
        invoice_id = self._page_invoice(invoice_ids)
        expires = utcnow() + ACTION_TIMEOUT
        code = self._parts.codes.create(
            invoice_id, expires_at=expires, actor=self.actor, detail={"attempt": attempt.id}
        )
        url = f"{self._parts.public_url.rstrip('/')}/i/{code}"
        number = self._parts.invoices.get(invoice_id).number
        return ActionLink(url, int(attempt.id), number, expires)

    def payment_state(self, attempt_id: int, check_stripe: bool = False) -> PaymentResult:
        """How this desk's payment stands now (the kiosk watching a 3-D Secure wait);
        `check_stripe` also asks Stripe about one still waiting, never cancelling it."""
        attempt = self._attempt(attempt_id)
        return action_wait.attempt_state(self._parts.payments, attempt, check_stripe)

    def balance_after_payment(self) -> int:
        """What the receipt shows as still owed."""
        raise NotImplementedError

    def _attempt(self, attempt_id: int) -> PaymentAttempt:
        attempt = action_wait.attempt_of_client(self.client_id, attempt_id)
        if attempt is None:
            raise NotYours("That payment is not one of yours.")
        for invoice_id in action_wait.covered_invoices(attempt.id):
            self._check(invoice_id)
        return attempt

    def _page_invoice(self, invoice_ids: list[int]) -> int:
        """Which of a payment's invoices the link opens."""
        return invoice_ids[0]

    def _check(self, invoice_id: int) -> None:
        """Refuse an invoice id this desk can tell at once is not its own."""


class ClientDesk(Desk):
    """A signed-in client's desk: their invoices, cards and recurring invoices, and no others.

    Ownership is checked on the invoice read; paying another client's invoice is refused by
    the payment ledger, and cards and recurring invoices are looked up by this client.
    """

    source = "kiosk"

    def __init__(self, parts: KioskParts, session: SessionInfo, client_id: int, address: str):
        super().__init__(parts, client_id, session.business_id, address)
        self.session = session

    @property
    def actor(self) -> str:
        return f"contact:{self.session.contact_id}"

    @property
    def email(self) -> str:
        return self.session.email

    @property
    def name(self) -> str:
        return visible(self.session.name)

    def invoices(self, offset: int, limit: int) -> list[InvoiceSummary]:
        """One page of the client's invoices, owed first."""
        return self._parts.invoices.list_for_client(self.client_id, offset, limit)

    def invoice_count(self) -> int:
        return self._parts.invoices.count_for_client(self.client_id)

    def owed(self) -> OwedSummary:
        return self._parts.invoices.owed(self.client_id)

    def owed_invoices(self) -> list[InvoiceSummary]:
        """Every invoice the client can pay now (owed ones come first in the list)."""
        count = self.owed().count
        if count <= 0:
            return []
        return [inv for inv in self.invoices(0, count) if inv.payable]

    def balance_after_payment(self) -> int:
        return self.owed().total

    def set_default_card(self, card_id: int) -> CardView:
        return self._parts.cards.set_default(self.client_id, card_id, actor=self.actor)

    def remove_card(self, card_id: int) -> None:
        self._parts.cards.remove(self.client_id, card_id, actor=self.actor)

    def plans(self) -> list[RecurringView]:
        """The client's recurring invoices with their auto-bill status."""
        return self._parts.recurring.list_for_client(self.client_id)

    def next_charge(self) -> NextCharge | None:
        return self._parts.recurring.next_charge(self.client_id)

    def set_autobill(self, plan_id: int, enabled: bool) -> RecurringView:
        """The client's own auto-bill choice for one recurring invoice (audited, confirmed)."""
        return self._parts.recurring.set_client_autobill(
            self.client_id, plan_id, enabled, self.actor, address=self.address
        )

    def logout(self, reason: str = "logout") -> None:
        self._parts.accounts.logout(self.session, self.address, reason)

    def session_ended(self) -> str | None:
        """Why this sign-in has ended (its login disabled or removed by the business, its
        password changed), in a sentence for the client; None while it goes on."""
        return self._parts.accounts.session_ended(self.session)


class CodeDesk(Desk):
    """The desk a [View Invoice] code opens: that one invoice, paying it, and nothing else."""

    source = "code"

    def __init__(
        self, parts: KioskParts, invoice_id: int, client_id: int, business_id: int, address: str
    ):
        super().__init__(parts, client_id, business_id, address)
        self.invoice_id = invoice_id

    @property
    def actor(self) -> str:
        return f"code:invoice:{self.invoice_id}"

    def balance_after_payment(self) -> int:
        return self.invoice(self.invoice_id).balance

    def _check(self, invoice_id: int) -> None:
        if invoice_id != self.invoice_id:
            raise NotYours("This code opens one invoice only; sign in to see the others.")


class KioskLobby:
    """The kiosk before anyone signs in: sign in, open a code, recover a password."""

    def __init__(self, parts: KioskParts, address: str = ""):
        self._parts = parts
        self.address = address

    def login(self, email: str, password: str) -> ClientDesk:
        """The desk of the client whose login this is; LoginError otherwise."""
        session = self._parts.accounts.login(email, password, address=self.address)
        if session.client_id is None:
            raise LoginError(NO_CLIENT)
        return ClientDesk(self._parts, session, session.client_id, self.address)

    def open_code(self, code: str) -> CodeDesk | None:
        """The desk of the one invoice a valid code opens; None for a bad or expired code.

        The address lets the code service throttle guessing per source and audit each use.
        """
        access = self._parts.codes.verify(code, address=self.address)
        if access is None:
            return None
        return CodeDesk(
            self._parts, access.invoice_id, access.client_id, access.business_id, self.address
        )

    def code_throttled(self) -> str | None:
        """While this address is refused codes for too many wrong ones: what to tell it."""
        return self._parts.codes.throttled(self.address)

    def check_password_policy(self, password: str) -> str | None:
        return self._parts.accounts.check_password_policy(password)

    def request_reset(self, email: str) -> None:
        self._parts.accounts.request_reset(email, address=self.address)

    def reset_password(self, email: str, code: str, password: str) -> None:
        self._parts.accounts.reset_password(email, code, password, address=self.address)
