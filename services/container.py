"""All services built from one configuration: what the CLI, the kiosk and the tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from services.accounts.access_codes import AccessCodeService
from services.accounts.accounts import AccountService
from services.audit import install_log_redaction
from services.billing.recurring import RecurringService
from services.clients.clients import ClientService
from services.config import Config
from services.database import open_database_checked
from services.doors.admin import AdminActor, AdminDoor
from services.doors.kiosk import KioskLobby, KioskParts
from services.doors.web import InvoicePageDoor, InvoicePageParts
from services.invoices.invoices import InvoiceService
from services.mail.mailer import Mailer
from services.payments.card_links import CardLinkService
from services.payments.cards import CardService
from services.payments.payments import PaymentService
from services.settings.store import effective
from services.stripe_client.client import LazyStripeClient

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe


@dataclass
class Services:
    """Every service, built once; the doors' facades are made from it (see `kiosk`).

    Apps and screens never hold this object: a door asks it for its facade. The kiosk's is
    `kiosk(address)`, the owner console's `admin(who)`; the web side's comes the same way.
    """

    config: Config
    invoices: InvoiceService
    cards: CardService
    card_links: CardLinkService
    payments: PaymentService
    mailer: Mailer
    accounts: AccountService
    codes: AccessCodeService
    recurring: RecurringService
    clients: ClientService

    def invoice_pages(self) -> InvoicePageDoor:
        """The web side's door to the invoice pages [View Invoice] codes open."""
        return InvoicePageDoor(
            InvoicePageParts(self.codes, self.invoices, self.cards, self.card_links, self.payments)
        )

    def kiosk(self, address: str = "") -> KioskLobby:
        """The kiosk's door for one session from `address`: sign in, or open a code."""
        parts = KioskParts(
            sandbox=bool(self.config.sandbox),
            invoices=self.invoices,
            cards=self.cards,
            card_links=self.card_links,
            payments=self.payments,
            recurring=self.recurring,
            accounts=self.accounts,
            codes=self.codes,
            public_url=self.config.public_url,
            idle_timeout=lambda: effective(self.config).idle_timeout,
        )
        return KioskLobby(parts, address)

    def admin(self, who: AdminActor) -> AdminDoor:
        """The owner's console door, for the owner `who` (see AdminActor)."""
        return AdminDoor(self, who)


def build_services(config: Config) -> Services:
    """Open and migrate the database, then wire every service to it."""
    install_log_redaction()  # no card number, Stripe key or webhook secret reaches a log
    open_database_checked(config.database_url)
    mailer = Mailer(config)
    accounts = AccountService(mailer)
    # One proxy with StripeClient's interface, built on first use (see LazyStripeClient).
    client = cast("stripe.StripeClient", LazyStripeClient(config))
    cards = CardService(client, config)
    return Services(
        config=config,
        invoices=InvoiceService(),
        cards=cards,
        card_links=CardLinkService(client, config, cards),
        payments=PaymentService(client, mailer, config),
        mailer=mailer,
        accounts=accounts,
        codes=AccessCodeService(),
        recurring=RecurringService(mailer),
        clients=ClientService(accounts),
    )
