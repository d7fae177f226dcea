"""Helpers the command modules share: dates, the business, a client by id or email, lines."""

from __future__ import annotations

import argparse
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from models import Business
from services.clients.clients import ClientView, find_by_ref
from services.invoices.views import LineInput
from services.money import Money
from tui.commands import CommandError

LINE_FORMAT = re.compile(
    r"^(?P<desc>.+?)=(?P<price>[0-9.,]+)(?:x(?P<qty>[0-9.]+))?(?:@(?P<tax>[0-9.]+)%)?$"
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from exc


def _business() -> Business:
    business = Business.select().order_by(Business.id).first()
    if business is None:
        raise CommandError("no business yet: run `paydesk init` (or `paydesk demo --seed-only`)")
    return business


def find_client(ref: str) -> ClientView:
    """The client with this id or billing email; CommandError naming `ref` otherwise."""
    client = find_by_ref(ref)
    if client is None:
        raise CommandError(f"no client {ref!r} (see `paydesk client list`)")
    return client


def parse_line(text: str, currency: str) -> LineInput:
    match = LINE_FORMAT.match(text.strip())
    if not match:
        raise CommandError(f"line {text!r}: expected DESCRIPTION=PRICE[xQUANTITY][@TAX%]")
    try:
        price = Money.parse(match["price"], currency).amount
        qty = Decimal(match["qty"] or "1")
        tax = Decimal(match["tax"] or "0")
    except (ValueError, InvalidOperation) as exc:
        raise CommandError(f"line {text!r}: {exc}") from exc
    qty_milli, tax_bp = qty * 1000, tax * 100
    if qty_milli != int(qty_milli) or tax_bp != int(tax_bp) or qty <= 0:
        raise CommandError(f"line {text!r}: quantity takes 3 decimals, tax 2, quantity > 0")
    return LineInput(match["desc"].strip(), price, int(qty_milli), int(tax_bp))
