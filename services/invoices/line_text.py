"""An invoice line written as text, `DESCRIPTION=PRICE[xQUANTITY][@TAX%]`, both ways: the CLI's
--line and the console's line editor read it with one parser."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from services.errors import PaydeskError
from services.invoices.views import LineInput
from services.money import Money, exponent

LINE_FORMAT = re.compile(
    r"^(?P<desc>.+?)=(?P<price>[0-9.,]+)(?:x(?P<qty>[0-9.]+))?(?:@(?P<tax>[0-9.]+)%)?$"
)


class LineTextError(PaydeskError, ValueError):
    """A line that does not read as DESCRIPTION=PRICE[xQUANTITY][@TAX%]."""


def parse_line_text(text: str, currency: str) -> LineInput:
    match = LINE_FORMAT.match(text.strip())
    if not match:
        raise LineTextError(f"line {text!r}: expected DESCRIPTION=PRICE[xQUANTITY][@TAX%]")
    try:
        price = Money.parse(match["price"], currency).amount
        qty = Decimal(match["qty"] or "1")
        tax = Decimal(match["tax"] or "0")
    except (ValueError, InvalidOperation) as exc:
        raise LineTextError(f"line {text!r}: {exc}") from exc
    qty_milli, tax_bp = qty * 1000, tax * 100
    if qty_milli != int(qty_milli) or tax_bp != int(tax_bp) or qty <= 0:
        raise LineTextError(f"line {text!r}: quantity takes 3 decimals, tax 2, quantity > 0")
    return LineInput(match["desc"].strip(), price, int(qty_milli), int(tax_bp))


def line_text(line: LineInput, currency: str) -> str:
    """The line as parse_line_text reads it back: "Support plan=250.00x1.5@8.25%"."""
    price = Decimal(line.unit_price).scaleb(-exponent(currency))
    text = f"{line.description}={price:f}"
    if line.quantity_milli != 1000:
        text += f"x{Decimal(line.quantity_milli).scaleb(-3).normalize():f}"
    if line.tax_rate_bp:
        text += f"@{Decimal(line.tax_rate_bp).scaleb(-2).normalize():f}%"
    return text
