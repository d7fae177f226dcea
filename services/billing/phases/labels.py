"""How a dry run names what it would touch: invoice numbers and client names, never ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from models import Client, Invoice


def client_names(client_ids: set[int]) -> dict[int, str]:
    """Each client's name."""
    if not client_ids:
        return {}
    rows = Client.select(Client.id, Client.name).where(Client.id.in_(client_ids)).tuples()
    return dict(cast("Iterable[tuple[int, str]]", rows))


def invoice_labels(invoice_ids: Iterable[int]) -> dict[int, str]:
    """ "INV-0003 (Acme Dental)" for each invoice."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    rows = (
        Invoice.select(Invoice.id, Invoice.number, Client.name)
        .join(Client)
        .where(Invoice.id.in_(ids))
        .tuples()
    )
    found = cast("Iterable[tuple[int, str, str]]", rows)
    return {invoice_id: f"{number} ({name})" for invoice_id, number, name in found}
