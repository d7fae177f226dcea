"""Messages console screens post to the app (which owns navigation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual.message import Message


@dataclass
class OpenClient(Message):
    """Show this client's detail."""

    client_id: int


@dataclass
class OpenRecurring(Message):
    """Show this recurring invoice in the editor."""

    recurring_id: int


@dataclass
class NewRecurring(Message):
    """Open the editor on a new recurring invoice, for this client if one is given."""

    client_id: int | None = None
    client_name: str = ""


@dataclass
class OpenInvoice(Message):
    """Show this invoice in the editor (None: a new invoice)."""

    invoice_id: int | None


@dataclass
class SettingsSaved(Message):
    """The business's settings changed: formats and time zone are read again."""


@dataclass
class OpenPayment(Message):
    """Show this payment's detail; with `refund`, its refund dialog at once."""

    payment_id: int
    refund: bool = False


@dataclass
class SendInvoice(Message):
    """Ask whether to email this invoice (its [View Invoice] code and PDF), then send it."""

    invoice_id: int
    number: str
    client: str
    status: str


@dataclass
class OpenStatement(Message):
    """Show this client's statements, ending on `end` (None: today)."""

    client_id: int
    end: date | None = None
