"""Money and dates for people: the business's currency and locale, via Babel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date

from services.money import format_money


@dataclass(frozen=True)
class Formats:
    """How a business shows amounts and dates; handed to every kiosk screen."""

    currency: str = "USD"
    locale: str = "en_US"

    def money(self, amount: int, currency: str | None = None) -> str:
        return format_money(amount, currency or self.currency, self.locale)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        return format_date(value, format="medium", locale=self.locale)

    def short_date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        return format_date(value, format="short", locale=self.locale)
