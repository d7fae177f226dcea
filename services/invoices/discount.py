"""An invoice's discount: a percentage of the subtotal or a fixed amount, taken off before tax.

The rule, as invoicing tools apply an invoice-level discount (Invoice Ninja's "discount" with
"is_amount_discount"): the discount comes off the subtotal, and each line is taxed on what is
left of it. So the discount is spread over the lines in proportion to their amounts, and a
line's tax is its rate on (amount − its share). Rounding, always half-up
(services.money.round_half_up), once per figure:

- a percentage: discount = subtotal × rate, rounded once (10 % of $123.45 → $12.35);
- each line's share = discount × line amount / subtotal, rounded; the one or two minor units
  the rounding gained or lost go to (or come from) the largest lines, so the shares add up
  to the discount exactly and no share is below 0 or above its line's amount.

Example: $100.00 at 10 % tax and $50.00 untaxed, $15.00 off → shares $10.00 and $5.00,
tax $9.00, total $150.00 − $15.00 + $9.00 = $144.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.money import Money, exponent, format_money, round_half_up

PERCENT = "percent"
AMOUNT = "amount"
FULL_BP = 10_000  # 100 %


@dataclass(frozen=True)
class Discount:
    """None (kind ""), a percentage (value in basis points) or an amount (minor units)."""

    kind: str = ""
    value: int = 0

    def off(self, subtotal: int) -> int:
        """What this discount takes off a subtotal, in minor units (before any check)."""
        if self.kind == PERCENT:
            return round_half_up(subtotal * self.value, FULL_BP)
        if self.kind == AMOUNT:
            return self.value
        return 0

    def __bool__(self) -> bool:
        return bool(self.kind) and self.value != 0


NO_DISCOUNT = Discount()


def spread(discount: int, amounts: list[int]) -> list[int]:
    """Each line's share of `discount` (0 ≤ discount ≤ sum(amounts)), in proportion to its
    amount, adding up to `discount` exactly (the rule in the module docstring)."""
    subtotal = sum(amounts)
    if discount <= 0 or subtotal <= 0:
        return [0] * len(amounts)
    if discount > subtotal:
        raise ValueError("a discount cannot be more than the subtotal")
    shares = [round_half_up(discount * amount, subtotal) for amount in amounts]
    gap = discount - sum(shares)
    largest_first = sorted(range(len(amounts)), key=lambda i: (-amounts[i], i))
    while gap:
        for i in largest_first:
            if gap > 0 and shares[i] < amounts[i]:
                shares[i] += 1
                gap -= 1
            elif gap < 0 and shares[i] > 0:
                shares[i] -= 1
                gap += 1
            if not gap:
                break
    return shares


def discount_problem(discount: Discount, subtotal: int, currency: str) -> str:
    """Why this discount cannot be given on this subtotal ("" when it can)."""
    if not discount.kind:
        return ""
    if discount.value < 0:
        return "the discount cannot be negative"
    if discount.kind == PERCENT:
        if discount.value > FULL_BP:
            return f"a discount of {percent_text(discount.value)}% is above 100%"
        return ""
    if discount.value > subtotal:
        return (
            f"a discount of {format_money(discount.value, currency)} is more than the "
            f"subtotal ({format_money(subtotal, currency)})"
        )
    return ""


def parse_discount(text: str, currency: str) -> tuple[Discount | None, str]:
    """ "10%" → 10 percent, "25.00" → that amount, "" → none; or None and why not."""
    written = text.strip().replace(",", "")
    if not written:
        return NO_DISCOUNT, ""
    is_percent = written.endswith("%")
    try:
        value = Decimal(written.removesuffix("%").strip())
        if not value.is_finite():
            raise InvalidOperation(text)
    except InvalidOperation:
        return None, "the discount is not a number (10% or an amount like 25.00)"
    if value < 0:
        return None, "the discount cannot be negative"
    if is_percent:
        bp = value * 100
        if bp != bp.to_integral_value():
            return None, "a discount rate takes at most 2 decimals"
        return Discount(PERCENT, int(bp)), ""
    try:
        return Discount(AMOUNT, Money.parse(str(value), currency).amount), ""
    except ValueError as exc:
        return None, f"the discount: {exc}"


def discount_text(discount: Discount, currency: str) -> str:
    """The discount as parse_discount reads it back: "10%", "25.00", or ""."""
    if discount.kind == PERCENT:
        return f"{percent_text(discount.value)}%"
    if discount.kind == AMOUNT:
        return f"{Decimal(discount.value).scaleb(-exponent(currency)):f}"
    return ""


def percent_text(bp: int) -> str:
    """Basis points as a person writes the percentage: 1250 → "12.5"."""
    return f"{Decimal(bp).scaleb(-2).normalize():f}"


def discount_label(discount: Discount) -> str:
    """The totals' label: "Discount (10%)" for a percentage, "Discount" for an amount."""
    if discount.kind == PERCENT:
        return f"Discount ({percent_text(discount.value)}%)"
    return "Discount"
