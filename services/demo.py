"""The demo data the README documents: one business, two clients, an owner."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from models import Business, Client, Contact, RecurringInvoice, RecurringLine
from services.clock import business_today
from services.invoices.views import LineInput

if TYPE_CHECKING:
    from services.container import Services

DEMO_CLIENT_EMAIL = "client@example.com"
DEMO_CLIENT_PASSWORD = "paydesk-demo"
DEMO_OWNER_EMAIL = "owner@example.com"
DEMO_OWNER_PASSWORD = "paydesk-owner"
SECOND_CLIENT_EMAIL = "second@example.com"
SECOND_CLIENT_PASSWORD = "paydesk-second"
DEMO_TIMEZONE = "America/New_York"


def demo_present() -> bool:
    return Contact.select().where(Contact.email == DEMO_CLIENT_EMAIL).exists()


def seed_demo(services: Services, today: date | None = None) -> bool:
    """Create the demo data unless it is there already. Returns True if it seeded."""
    if demo_present():
        return False
    today = today or business_today(DEMO_TIMEZONE)
    business = Business.create(
        name="Desktop Masters IT",
        currency="USD",
        timezone=DEMO_TIMEZONE,
        locale="en_US",
        invoice_prefix="INV-",
        billing_email="billing@desktopmasters.example",
        address="12 Harbour Road\nSpringfield",
    )
    accounts = services.accounts
    accounts.create_contact(
        business.id, None, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, role="admin", name="Owner"
    )
    acme = Client.create(
        business=business, name="Acme Dental", email=DEMO_CLIENT_EMAIL, address="1 Main St"
    )
    accounts.create_contact(
        business.id, acme.id, DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD, name="Dana Client"
    )
    _seed_client_invoices(services, acme.id, today)

    other = Client.create(business=business, name="Birch Bakery", email=SECOND_CLIENT_EMAIL)
    accounts.create_contact(
        business.id, other.id, SECOND_CLIENT_EMAIL, SECOND_CLIENT_PASSWORD, name="Bo Baker"
    )
    services.invoices.create(
        other.id,
        [LineInput("Point-of-sale setup", 45000)],
        issue_date=today - timedelta(days=3),
        due_date=today + timedelta(days=11),
    )
    # The demo's payments mail their receipts in the background: they are in the outbox
    # before this returns (`demo --seed-only` exits next; a count of mail starts after them).
    services.payments.receipts.flush()
    return True


def _seed_client_invoices(services: Services, client_id: int, today: date) -> None:
    invoices = services.invoices
    day = timedelta(days=1)
    paid = [
        invoices.create(
            client_id,
            [LineInput("Server maintenance (March)", 30000)],
            issue_date=today - 90 * day,
            due_date=today - 76 * day,
        ),
        invoices.create(
            client_id,
            [LineInput("Backup audit", 12500)],
            issue_date=today - 60 * day,
            due_date=today - 46 * day,
        ),
    ]
    invoices.create(
        client_id,
        [LineInput("Emergency call-out", 18000), LineInput("Replacement SSD", 9999, 1000, 825)],
        issue_date=today - 30 * day,
        due_date=today - 16 * day,
        notes="Thank you for your business.",
    )
    invoices.create(
        client_id,
        [LineInput("Network support (hours)", 9500, 3500)],
        issue_date=today - 5 * day,
        due_date=today + 9 * day,
    )
    invoices.create(
        client_id,
        [LineInput("Microsoft 365 licences", 1250, 8000)],
        issue_date=today - 2 * day,
        due_date=today + 12 * day,
    )
    card = services.cards.add_test_card(client_id, "success")
    services.cards.set_default(client_id, card.id)
    for invoice in paid:
        services.payments.pay(client_id, [invoice.id], card.id, source="demo", actor="seed")

    client = Client.get_by_id(client_id)
    for description, amount, enabled in (
        ("Managed IT support plan", 25000, True),
        ("Offsite backup storage", 4000, False),
    ):
        plan = RecurringInvoice.create(
            business=client.business_id,
            client=client_id,
            description=description,
            frequency="monthly",
            anchor_date=today.replace(day=1),
            next_date=_next_month_first(today),
            autobill_mode="optout",
            client_autobill=enabled,
        )
        RecurringLine.create(recurring=plan, description=description, unit_price=amount)


def _next_month_first(today: date) -> date:
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)
