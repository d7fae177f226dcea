"""An invoice drawn as a document: parties, dates, lines, tax, totals, paid, balance, notes."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from screens.widgets.formats import Formats
from screens.widgets.literal import lit
from services.invoices.views import InvoiceDetail, InvoiceStatus, total_rows


def quantity(milli: int, locale: str) -> str:
    return format_decimal(Decimal(milli) / 1000, format="#,##0.###", locale=locale)


def rate(bp: int, locale: str) -> str:
    if not bp:
        return "—"
    return format_percent(Decimal(bp) / 10000, format="#,##0.##%", locale=locale)


def status_text(detail: InvoiceDetail) -> Text:
    if detail.status == InvoiceStatus.PAID:
        return lit("Paid", "bold green")
    if detail.status == InvoiceStatus.VOID:
        return lit("Void", "dim")
    if detail.overdue:
        return lit("Overdue", "bold red")
    if detail.status == InvoiceStatus.PARTIAL:
        return lit("Partly paid", "bold yellow")
    return lit("Owed", "bold yellow")


def render_invoice(detail: InvoiceDetail, fmt: Formats) -> RenderableType:
    """The whole invoice as one Rich renderable; every stored string is literal."""
    money = lambda amount: fmt.money(amount, detail.currency)  # noqa: E731
    head = Table.grid(expand=True, padding=(0, 2))
    head.add_column(ratio=1)
    head.add_column(justify="right")
    business = Text()
    business.append(detail.business.name, style="bold")
    if detail.business.address:
        business.append("\n" + detail.business.address)
    business.append("\n" + detail.business.email, style="dim")
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row("Invoice", lit(detail.number, "bold"))
    facts.add_row("Issued", fmt.date(detail.issue_date))
    facts.add_row("Due", fmt.date(detail.due_date))
    facts.add_row("Status", status_text(detail))
    head.add_row(business, facts)

    bill_to = Text()
    bill_to.append("Bill to\n", style="dim")
    bill_to.append(detail.client.name, style="bold")
    if detail.client.address:
        bill_to.append("\n" + detail.client.address)

    lines = Table(box=box.SIMPLE_HEAD, expand=True, padding=(0, 1), show_edge=False)
    lines.add_column("Description", ratio=1, overflow="fold")
    lines.add_column("Qty", justify="right")
    lines.add_column("Unit price", justify="right")
    lines.add_column("Tax", justify="right")
    lines.add_column("Amount", justify="right")
    for line in detail.lines:
        lines.add_row(
            lit(line.description),
            quantity(line.quantity_milli, fmt.locale),
            money(line.unit_price),
            rate(line.tax_rate_bp, fmt.locale),
            money(line.amount),
        )

    totals = Table.grid(padding=(0, 1))
    totals.add_column(justify="right", style="dim")
    totals.add_column(justify="right")
    for label, amount in total_rows(detail):
        shown = lit(money(amount), "bold") if label == "Total" else money(amount)
        totals.add_row(label, shown)
    totals.add_row("Paid", money(detail.amount_paid))
    totals.add_row(lit("Balance due", "bold"), lit(money(detail.balance), "bold"))
    right = Table.grid(expand=True)
    right.add_column(ratio=1)
    right.add_column()
    right.add_row("", totals)

    parts: list[RenderableType] = [head, Text(""), bill_to, Text(""), lines, right]
    if detail.notes:
        parts += [Text(""), lit("Notes", "dim"), lit(detail.notes)]
    return Group(*parts)
