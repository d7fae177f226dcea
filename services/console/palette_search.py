"""What the console's command palette finds: clients by name, invoices by number, payments by
reference — each a few rows read in SQL, never the whole table."""

from __future__ import annotations

from dataclasses import dataclass

from models import Client, Invoice, Payment
from services.text import visible


@dataclass(frozen=True)
class Found:
    """One thing the palette can jump to: a client, an invoice or a payment."""

    kind: str  # client | invoice | payment
    id: int
    label: str  # the name, the number or the reference, shown literally
    detail: str  # the client of an invoice or payment, the email of a client
    client_id: int
    status: str = ""


def _needle(text: str) -> str:
    """The typed text as a LIKE pattern's inside: LIKE's wildcards taken out."""
    return text.strip().replace("%", "").replace("_", "").replace("\\", "")


def find(business_id: int, text: str, limit: int = 8) -> list[Found]:
    """Clients whose name holds `text`, invoices whose number starts with it (or holds it),
    payments whose reference does; at most `limit` of each kind."""
    needle = _needle(text)
    if not needle:
        return []
    found: list[Found] = []
    clients = (
        Client.select(Client.id, Client.name, Client.email)
        .where(Client.business == business_id, Client.name ** f"%{needle}%")
        .order_by(Client.name, Client.id)
        .limit(limit)
    )
    found += [Found("client", c.id, visible(c.name), visible(c.email), c.id) for c in clients]
    invoices = (
        Invoice.select(Invoice.id, Invoice.number, Invoice.status, Client.id, Client.name)
        .join(Client)
        .where(Invoice.business == business_id, Invoice.number ** f"%{needle}%")
        .order_by(Invoice.number.desc())
        .limit(limit)
    )
    found += [
        Found("invoice", i.id, visible(i.number), visible(i.client.name), i.client.id, i.status)
        for i in invoices
    ]
    payments = (
        Payment.select(Payment.id, Payment.reference, Client.id, Client.name)
        .join(Client)
        .where(Client.business == business_id, Payment.reference ** f"%{needle}%")
        .order_by(Payment.id.desc())
        .limit(limit)
    )
    found += [
        Found("payment", p.id, visible(p.reference), visible(p.client.name), p.client.id)
        for p in payments
    ]
    return found
