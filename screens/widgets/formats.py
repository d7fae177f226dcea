"""Money and dates for people: the business's currency and locale, via Babel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.dates import format_day
from services.money import format_money


@dataclass(frozen=True)
class Formats:
    """How a business shows amounts and dates; handed to every kiosk screen."""

    currency: str = "USD"
    locale: str = "en_US"

    def money(self, amount: int, currency: str | None = None) -> str:
        return format_money(amount, currency or self.currency, self.locale)

    def date(self, value: dt.date | None) -> str:
        return "—" if value is None else format_day(value, self.locale)
