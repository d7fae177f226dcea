"""An invoice line as a person types it in four fields (description, quantity, unit price,
tax %): parsed into a LineInput, or the one-line reason it cannot be."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.invoices.rules import line_problem
from services.invoices.views import LineInput
from services.money import Money


@dataclass(frozen=True)
class LineFields:
    description: str
    quantity: str
    unit_price: str
    tax_rate: str


@dataclass(frozen=True)
class ParsedLine:
    """The line, or the field that is wrong ("quantity", "unit_price", …) and why."""

    line: LineInput | None
    field: str = ""
    problem: str = ""


def _decimal(text: str, default: str) -> Decimal:
    value = Decimal(text.strip().replace(",", "") or default)
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


TaxRates = tuple[tuple[str, int], ...]  # the Settings' (name, basis points), in their order


def rates_hint(rates: TaxRates) -> str:
    """ "VAT 20%, Reduced 5.5%": the named rates the tax field also takes."""
    return ", ".join(f"{name} {Decimal(bp).scaleb(-2).normalize():f}%" for name, bp in rates)


def _named_rate(text: str, rates: TaxRates) -> int | None:
    wanted = text.strip().casefold()
    return next((bp for name, bp in rates if name.casefold() == wanted), None)


def parse_line_fields(fields: LineFields, currency: str, rates: TaxRates = ()) -> ParsedLine:
    """Parse one line's fields; its problem under the rules (services.invoices.rules) too.
    The tax field takes a percentage or the name of one of the Settings' `rates`."""
    name = f"line {fields.description.strip()!r}"
    try:
        quantity = _decimal(fields.quantity, "1")
    except InvalidOperation:
        return ParsedLine(None, "quantity", f"{name}: the quantity is not a number")
    if (quantity * 1000) != (quantity * 1000).to_integral_value():
        return ParsedLine(None, "quantity", f"{name}: a quantity takes at most 3 decimals")
    try:
        price = Money.parse(fields.unit_price or "0", currency).amount
    except (ValueError, InvalidOperation) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and str(exc) else "is not an amount"
        return ParsedLine(None, "unit_price", f"{name}: the price {reason}")
    named = _named_rate(fields.tax_rate, rates) if fields.tax_rate.strip() else None
    try:
        rate = (
            Decimal(named).scaleb(-2)
            if named is not None
            else _decimal(fields.tax_rate.strip().removesuffix("%"), "0")
        )
    except InvalidOperation:
        known = f" nor a rate ({rates_hint(rates)})" if rates else ""
        return ParsedLine(None, "tax_rate", f"{name}: the tax rate is not a number{known}")
    if (rate * 100) != (rate * 100).to_integral_value():
        return ParsedLine(None, "tax_rate", f"{name}: a tax rate takes at most 2 decimals")
    line = LineInput(fields.description.strip(), price, int(quantity * 1000), int(rate * 100))
    problem = line_problem(line)
    if problem:
        where = "description"
        if "quantity" in problem:
            where = "quantity"
        elif "price" in problem:
            where = "unit_price"
        elif "tax" in problem:
            where = "tax_rate"
        return ParsedLine(None, where, problem)
    return ParsedLine(line)
