"""What the business could mean to invoice: one rule for lines, totals and days to pay.

InvoiceService.create, RecurringService.add and the run's generate phase ask here, so every
door (the CLI, later the admin console) refuses the same input with the same one-line reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from services.invoices.discount import NO_DISCOUNT, Discount, discount_problem
from services.invoices.pricing import priced, sums_of
from services.money import card_maximum, format_money, line_amount

MAX_TAX_BP = 10_000  # 100 %
MAX_QUANTITY_MILLI = 1_000_000 * 1000  # a million units: more is a typo, and overflows SQL
MAX_DUE_DAYS = 365


def line_problem(line: Any) -> str:
    """Why this line (a LineInput or a RecurringLine) cannot be invoiced ("" when it can)."""
    name = f"line {line.description!r}"
    if not line.description.strip():
        return "a line needs a description"
    if line.quantity_milli <= 0:
        return f"{name}: the quantity must be more than 0"
    if line.quantity_milli > MAX_QUANTITY_MILLI:
        quantity = Decimal(line.quantity_milli).scaleb(-3).normalize()
        return f"{name}: a quantity of {quantity:f} is more than {MAX_QUANTITY_MILLI // 1000:,}"
    if line.unit_price < 0:
        return f"{name}: the price cannot be negative"
    if line.tax_rate_bp < 0:
        return f"{name}: the tax rate cannot be negative"
    if line.tax_rate_bp > MAX_TAX_BP:
        rate = Decimal(line.tax_rate_bp).scaleb(-2).normalize()
        return f"{name}: a tax rate of {rate:f}% is above 100%"
    return ""


def valid_line(line: Any) -> bool:
    return not line_problem(line)


def lines_problem(lines: Sequence[Any], currency: str, discount: Discount = NO_DISCOUNT) -> str:
    """Why an invoice of these lines and this discount cannot be issued ("" when it can): a
    bad line, a discount below 0 or above the subtotal, a total of zero (nothing to pay), or
    more than one card payment can take in this currency."""
    if not lines:
        return "an invoice needs at least one line"
    for line in lines:
        problem = line_problem(line)
        if problem:
            return problem
    subtotal = sum(line_amount(line.quantity_milli, line.unit_price) for line in lines)
    problem = discount_problem(discount, subtotal, currency)
    if problem:
        return problem
    total = sums_of(priced(lines, discount))["total"]
    if total <= 0:
        return f"the invoice comes to {format_money(0, currency)}: there is nothing to pay"
    most = card_maximum(currency)
    if total > most:
        return (
            f"the invoice comes to {format_money(total, currency)}, more than one card payment "
            f"can take ({format_money(most, currency)}); split it into several invoices"
        )
    return ""


def due_days_problem(days: int) -> str:
    """Why these days to pay make no sense ("" when they do): 0 is due on the issue date."""
    if days < 0:
        return f"the days to pay cannot be negative (got {days}); 0 means due on the issue date"
    if days > MAX_DUE_DAYS:
        return f"{days} days to pay is more than a year ({MAX_DUE_DAYS} days)"
    return ""


def dates_problem(issue: date, due: date | None) -> str:
    """Why an invoice cannot be due then ("" when it can; None: the business's terms)."""
    if due is None:
        return ""
    if due < issue:
        return "the due date is before the issue date"
    return due_days_problem((due - issue).days)
