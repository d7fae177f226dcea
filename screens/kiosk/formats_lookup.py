"""Find the currency and locale a desk's business uses (called from workers)."""

from __future__ import annotations

from screens.widgets.formats import Formats
from services.doors.kiosk import Desk


def formats_for(desk: Desk) -> Formats:
    """The business's currency and locale for this desk's client."""
    profile = desk.profile()
    return Formats(currency=profile.currency, locale=profile.locale)
