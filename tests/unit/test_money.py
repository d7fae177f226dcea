"""Money invariants (DESIGN.md §4), checked with property tests."""

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency
from hypothesis import example, given
from hypothesis import strategies as st

from services import money
from services.money import (
    Money,
    _layout,
    exponent,
    format_money,
    line_amount,
    line_tax,
    round_half_up,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_round_half_up_is_within_half_a_unit(numerator, denominator):
    result = round_half_up(numerator, denominator)
    assert abs(result * denominator - numerator) * 2 <= denominator


@given(st.integers(0, 10**9), st.integers(1, 10**6))
def test_round_half_up_rounds_exact_halves_up(whole, denominator):
    numerator = whole * 2 * denominator + denominator  # (2·whole + 1) / 2: an exact half
    assert round_half_up(numerator, 2 * denominator) == whole + 1


def test_round_half_up_is_symmetric_about_zero():
    assert round_half_up(5, 10) == 1
    assert round_half_up(-5, 10) == -1
    assert round_half_up(4, 10) == 0


@given(amounts, amounts)
def test_addition_and_subtraction_round_trip(a, b):
    assert (Money(a) + Money(b)) - Money(b) == Money(a)


@given(st.integers(0, 10**7), st.integers(1, 10**6), st.integers(0, 3000))
def test_line_rounding_happens_once_per_line(unit_price, quantity_milli, rate_bp):
    amount = line_amount(quantity_milli, unit_price)
    tax = line_tax(amount, rate_bp)
    assert abs(amount * 1000 - quantity_milli * unit_price) * 2 <= 1000
    assert 0 <= tax <= amount * rate_bp // 10_000 + 1


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "USD") + Money(1, "EUR")


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3)])
def test_currency_exponents(currency, digits):
    assert exponent(currency) == digits


def test_parse_refuses_more_decimals_than_the_currency_has():
    assert Money.parse("12.34").amount == 1234
    assert Money.parse("1,200", "JPY").amount == 1200
    with pytest.raises(ValueError):
        Money.parse("12.345", "USD")
    with pytest.raises(ValueError):
        Money.parse("1.5", "JPY")


def test_formatting_follows_currency_and_locale():
    assert format_money(123456, "USD") == "$1,234.56"
    assert format_money(1234567, "EUR", "de_DE") == "12.345,67\xa0€"
    assert format_money(1234, "JPY", "en_US") == "¥1,234"


LOCALES = ["en_US", "en_GB", "en_IN", "de_DE", "de_CH", "fr_FR", "fr_CH", "nl_NL", "es_ES"]
LOCALES += ["pt_BR", "it_IT", "pl_PL", "sv_SE", "ja_JP", "ar_EG", "he_IL", "hi_IN", "fa_IR"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "INR", "CHF", "BHD", "KWD", "ISK", "CLP", "SEK"]


@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(LOCALES))
@example(100000000, "USD", "de_CH")  # Babel drops pairs of apostrophe separators: 1000000.00
def test_formatting_matches_babel(amount, currency, locale):
    """format_money puts amounts together from Babel's layout; it must read exactly as
    Babel's own rendering, whatever the locale's separators, grouping and signs."""
    expected = format_currency(
        Decimal(amount).scaleb(-exponent(currency)), currency, locale=Locale.parse(locale)
    )
    assert format_money(amount, currency, locale) == expected


def test_a_layout_it_cannot_read_falls_back_to_babel():
    assert _layout("about 9876543210.12 dollars", 2) is not None
    assert _layout("9876543210,12", 3) is None  # digits missing
    assert _layout("9.876.543,210,12", 2) is None  # two group separators
    assert _layout("98765432101.2", 2) is None  # a digit after the decimal separator moved


def test_format_money_uses_babel_where_the_layout_is_not_understood(monkeypatch):
    monkeypatch.setattr(money, "_layout", lambda text, digits: None)
    money._fast_format.cache_clear()
    try:
        assert money._fast_format("EUR", "de_DE") is None
        assert format_money(-1234567, "EUR", "de_DE") == "-12.345,67\xa0€"
    finally:
        money._fast_format.cache_clear()
