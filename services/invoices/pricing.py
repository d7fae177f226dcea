"""An invoice's lines priced: amounts, each line's share of the discount, tax and totals.

Pure functions of the lines and the discount; the rule is services.invoices.discount's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from services.invoices.discount import NO_DISCOUNT, Discount, spread
from services.money import line_amount, line_tax


class PricedLine(NamedTuple):
    """A line with its amount, its share of the invoice's discount and its tax."""

    position: int
    line: Any  # a LineInput or a RecurringLine
    amount: int
    tax: int
    discount: int = 0


def priced(lines: Iterable[Any], discount: Discount = NO_DISCOUNT) -> list[PricedLine]:
    """Each line priced, the discount taken off before tax (services.invoices.discount)."""
    lines = list(lines)
    amounts = [line_amount(line.quantity_milli, line.unit_price) for line in lines]
    shares = spread(discount.off(sum(amounts)), amounts)
    return [
        PricedLine(n, line, amount, line_tax(amount - share, line.tax_rate_bp), share)
        for n, (line, amount, share) in enumerate(zip(lines, amounts, shares, strict=True))
    ]


def sums_of(rows: list[PricedLine]) -> dict[str, int]:
    """An invoice's subtotal, discount, tax and total from its priced lines."""
    subtotal = sum(r.amount for r in rows)
    discount, tax = sum(r.discount for r in rows), sum(r.tax for r in rows)
    return {
        "subtotal": subtotal,
        "discount_total": discount,
        "tax_total": tax,
        "total": subtotal - discount + tax,
    }


def line_rows(invoice_id: int, rows: list[PricedLine]) -> list[dict[str, Any]]:
    """The invoice_line rows of priced lines."""
    return [
        {
            "invoice": invoice_id,
            "position": row.position,
            "description": row.line.description,
            "quantity_milli": row.line.quantity_milli,
            "unit_price": row.line.unit_price,
            "tax_rate_bp": row.line.tax_rate_bp,
            "amount": row.amount,
            "discount": row.discount,
            "tax": row.tax,
        }
        for row in rows
    ]
