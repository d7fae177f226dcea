"""All services built from one configuration: what the CLI, the kiosk and the tests share."""

from __future__ import annotations

from dataclasses import dataclass

from models import init_database
from services.config import Config
from services.invoices import InvoiceService


@dataclass
class Services:
    """The service facade handed to apps and screens. Each area adds its service here."""

    config: Config
    invoices: InvoiceService


def build_services(config: Config) -> Services:
    """Open and migrate the database, then wire every service to it."""
    init_database(config.database_url)
    return Services(
        config=config,
        invoices=InvoiceService(),
    )
