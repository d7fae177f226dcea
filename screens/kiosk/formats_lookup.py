"""Find the currency and locale a client's business uses (called from workers)."""

from __future__ import annotations

from screens.widgets.formats import Formats


def formats_for_client(services, client_id: int | None) -> Formats:
    """The business's currency and locale for this client; US defaults if it has no invoices."""
    if client_id is None:
        return Formats()
    owed = services.invoices.owed(client_id)
    first = services.invoices.list_for_client(client_id, 0, 1)
    if not first:
        return Formats(currency=owed.currency)
    detail = services.invoices.get(first[0].id)
    return Formats(currency=owed.currency, locale=detail.locale)
