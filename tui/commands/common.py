"""Helpers the command modules share: dates, the business, a client by id or email, lines."""

from __future__ import annotations

import argparse
from datetime import date

from models import Business
from services.clients.clients import ClientView, find_by_ref
from services.invoices.line_text import LineTextError, parse_line_text
from services.invoices.views import LineInput
from tui.commands import CommandError


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
    try:
        return parse_line_text(text, currency)
    except LineTextError as exc:
        raise CommandError(str(exc)) from None
