"""Find the currency and locale a client's business uses (called from workers)."""

from __future__ import annotations

from screens.widgets.formats import Formats


def formats_for_client(services, client_id: int | None) -> Formats:
    """The business's currency and locale for this client; US defaults for a contact without one."""
    if client_id is None:
        return Formats()
    profile = services.invoices.business_of_client(client_id)
    return Formats(currency=profile.currency, locale=profile.locale)
