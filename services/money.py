"""Money as integer minor units, one rounding rule, and Babel formatting."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision


@lru_cache(maxsize=512)
def exponent(currency: str) -> int:
    """Digits after the decimal point for a currency: USD 2, JPY 0, BHD 3."""
    return get_currency_precision(currency.upper())


# The most Stripe charges in one card payment, in minor units: eight digits in most currencies
# (USD 999,999.99), twelve in IDR (Stripe's "minimum and maximum charge amounts").
CARD_MAXIMUM = 99_999_999
CARD_MAXIMUM_BY_CURRENCY: dict[str, int] = {"IDR": 999_999_999_999}


def card_maximum(currency: str) -> int:
    """The largest amount, in minor units, one card payment in this currency can be."""
    return CARD_MAXIMUM_BY_CURRENCY.get(currency.upper(), CARD_MAXIMUM)


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
    """Format minor units for people: 123456 USD → "$1,234.56" (as Babel formats it)."""
    fast = _fast_format(currency.upper(), locale)
    return fast(amount) if fast is not None else _babel_format(amount, currency, locale)


def _babel_format(amount: int, currency: str, locale: str) -> str:
    value = Decimal(amount).scaleb(-exponent(currency))
    return format_currency(value, currency.upper(), locale=_locale(locale))


# Babel spends a few hundred microseconds per amount (it looks up the locale's pattern,
# symbols and plural rules every time): every screen and the paying path format money.
# For each currency and locale, Babel formats a sample once; from it come the prefix, the
# separators, the grouping and the suffix, and amounts are then put together from those.
# The result is checked against Babel on a set of amounts (up to five groups of digits);
# any difference and that pair keeps using Babel.
_SAMPLE_WHOLE = "9876543210"
_SAMPLE_FRACTION = "123456789"
_CHECKS: tuple[int, ...] = (0, 1, 7, 12, 99, 100, 101, 999, 1000, 1001, 12_345, 123_456)
_CHECKS += (1_000_000, 12_345_678, 10**8, 123_456_789, 9_876_543_210, 1_234_567_890_123)
_CHECKS += (10**15, 98_765_432_109_876_543)
# Babel strips pattern quotes ('text') from the finished string, number included: with an
# apostrophe as group separator (de_CH, it_CH, fr_CH, …) each pair of separators goes, so
# 1'000'000.00 reads 1000000.00 and 9'876'543'210 reads 9876543'210. Its own rule, copied.
_PATTERN_QUOTE = re.compile(r"'([^']*)'")


@lru_cache(maxsize=256)
def _fast_format(currency: str, locale: str) -> Callable[[int], str] | None:
    digits = exponent(currency)
    sample = int(_sample(digits))
    positive = _layout(_babel_format(sample, currency, locale), digits)
    negative = _layout(_babel_format(-sample, currency, locale), digits)
    if positive is None or negative is None or positive[1:4] != negative[1:4]:
        return None
    prefix, group, sizes, decimal, suffix = positive
    minus_prefix, minus_suffix = negative[0], negative[4]
    if "'" in prefix + suffix + minus_prefix + minus_suffix:
        return None  # the pattern's own quotes are gone from the sample: not readable
    primary, secondary = (sizes + [0, 0])[:2] if group else (0, 0)
    secondary = secondary or primary

    def put_together(amount: int) -> str:
        text = str(-amount if amount < 0 else amount)
        whole, fraction = text, ""
        if digits:
            text = text.rjust(digits + 1, "0")
            whole, fraction = text[:-digits], decimal + text[-digits:]
        if primary and len(whole) > primary:
            parts = [whole[-primary:]]
            whole = whole[:-primary]
            while len(whole) > secondary:
                parts.append(whole[-secondary:])
                whole = whole[:-secondary]
            parts.append(whole)
            whole = group.join(reversed(parts))
        if amount < 0:
            return f"{minus_prefix}{whole}{fraction}{minus_suffix}"
        return f"{prefix}{whole}{fraction}{suffix}"

    def unquoted(amount: int) -> str:
        return _PATTERN_QUOTE.sub(_unquote, put_together(amount))

    fast = unquoted if "'" in group else put_together
    for amount in _CHECKS:
        for signed in (amount, -amount):
            if fast(signed) != _babel_format(signed, currency, locale):
                return None
    return fast


def _unquote(match: re.Match[str]) -> str:
    return match.group(1) or "'"


def _sample(digits: int) -> str:
    """The digits of the sample amount, in minor units, for a currency with `digits`."""
    return _SAMPLE_WHOLE + _SAMPLE_FRACTION[:digits]


def _layout(text: str, digits: int) -> tuple[str, str, list[int], str, str] | None:
    """(prefix, group separator, group sizes from the right, decimal separator, suffix) of
    Babel's rendering of the sample; None if it is not laid out as expected."""
    places = [i for i, char in enumerate(text) if char in "0123456789"]
    if "".join(text[i] for i in places) != _sample(digits):
        return None
    gaps = [text[a + 1 : b] for a, b in zip(places, places[1:], strict=False)]
    whole_gaps = gaps[: len(_SAMPLE_WHOLE) - 1]
    decimal = gaps[len(_SAMPLE_WHOLE) - 1] if digits else ""
    if any(gaps[len(_SAMPLE_WHOLE) :]) or (digits and not decimal):
        return None
    separators = {gap for gap in whole_gaps if gap}
    if len(separators) > 1:
        return None
    group = separators.pop() if separators else ""
    sizes, run = [], 1
    for gap in reversed(whole_gaps):
        if gap:
            sizes.append(run)
            run = 1
        else:
            run += 1
    return text[: places[0]], group, sizes, decimal, text[places[-1] + 1 :]
