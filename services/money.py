"""Money as integer minor units, one rounding rule, and Babel formatting."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision


def exponent(currency: str) -> int:
    """Digits after the decimal point for a currency: USD 2, JPY 0, BHD 3."""
    return get_currency_precision(currency.upper())


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero. The only rounding in paydesk."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def line_amount(quantity_milli: int, unit_price: int) -> int:
    """Quantity (in thousandths) × unit price, rounded once."""
    return round_half_up(quantity_milli * unit_price, 1000)


def line_tax(amount: int, rate_bp: int) -> int:
    """Tax on a line at a rate in basis points (825 = 8.25 %), rounded once."""
    return round_half_up(amount * rate_bp, 10_000)


@dataclass(frozen=True, order=True)
class Money:
    """An amount in a currency's minor unit. Never a float."""

    amount: int
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be int minor units, got {self.amount!r}")
        object.__setattr__(self, "currency", self.currency.upper())

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    @classmethod
    def parse(cls, text: str, currency: str = "USD") -> Money:
        """ "12.34" → Money(1234). Refuses more digits than the currency has."""
        value = Decimal(text.strip().replace(",", ""))
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{text!r} has more decimals than {currency} allows")
        return cls(int(scaled), currency)

    def format(self, locale: str = "en_US") -> str:
        return format_money(self.amount, self.currency, locale)


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    """Parsed once: Babel re-parses a locale name at every step of formatting otherwise."""
    return Locale.parse(name)


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """Format minor units for people: 123456 USD → "$1,234.56"."""
    value = Decimal(amount).scaleb(-exponent(currency))
    return format_currency(value, currency.upper(), locale=_locale(locale))
