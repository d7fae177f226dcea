"""An invoice as the console shows it when it is not edited: its lines and totals, what was
paid and what is owed (stored text literal, money and dates as the kiosk writes them)."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from screens.widgets.formats import Formats
from services.invoices.views import InvoiceDetail, total_rows


def invoice_text(invoice: InvoiceDetail, fmt: Formats) -> Text:
    money = fmt.money
    out = Text()
    out.append(f"To {invoice.client.name} <{invoice.client.email}>\n")
    out.append(f"Issued {fmt.date(invoice.issue_date)} · Due {fmt.date(invoice.due_date)}\n\n")
    for line in invoice.lines:
        qty = Decimal(line.quantity_milli).scaleb(-3).normalize()
        rate = Decimal(line.tax_rate_bp).scaleb(-2).normalize()
        tax = f" + {rate:f}% tax" if line.tax_rate_bp else ""
        out.append(f"  {line.description}\n")
        out.append(f"      {qty:f} × {money(line.unit_price)}{tax} = {money(line.amount)}\n")
    out.append("\n")
    for label, amount in [*total_rows(invoice), ("Paid", invoice.amount_paid)]:
        out.append(f"  {label:<12}{money(amount):>14}\n")
    out.append(f"  {'Balance due':<12}{money(invoice.balance):>14}", style="bold")
    if invoice.notes:
        out.append(f"\n\nNotes: {invoice.notes}")
    return out
