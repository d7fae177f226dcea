"""The invoice as a clean, printable PDF (fpdf2, built-in Helvetica: small and fast)."""

from __future__ import annotations

import unicodedata
from datetime import date

from fpdf import FPDF

from services.invoices import InvoiceDetail
from services.money import format_money

_REPLACE = {"•": "*", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."}


def _t(text: object) -> str:
    """Text the built-in fonts can draw: typographic marks simplified, the rest transliterated."""
    value = str(text)
    for a, b in _REPLACE.items():
        value = value.replace(a, b)
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        pass
    out = []
    for ch in value:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(decomposed or "?")
    return "".join(out)


def _qty(quantity_milli: int) -> str:
    whole, frac = divmod(quantity_milli, 1000)
    return str(whole) if not frac else f"{whole}.{frac:03d}".rstrip("0")


def _d(day: date) -> str:
    return day.strftime("%d %b %Y")


def _lines(pdf: FPDF, width: float, height: float, lines: list[str]) -> None:
    """Short lines one under the other (cheaper than multi_cell, which wraps)."""
    for line in lines:
        if line:
            pdf.cell(width, height, _t(line)[:80], new_x="LMARGIN", new_y="NEXT")


def render_invoice_pdf(
    invoice: InvoiceDetail,
    how_to_pay: str = "",
    status_line: str = "",
) -> bytes:
    """One A4 page (more if the lines need it): business, client, lines, tax, total, due date."""
    money = lambda amount: _t(format_money(amount, invoice.currency, invoice.locale))  # noqa: E731
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_t(f"Invoice {invoice.number}"))
    pdf.set_author(_t(invoice.business.name))
    pdf.set_creator("paydesk")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(width / 2, 9, _t(invoice.business.name))
    pdf.cell(width / 2, 9, "INVOICE", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    top = pdf.get_y()
    business_lines = [*invoice.business.address.splitlines(), invoice.business.email]
    _lines(pdf, width / 2, 4.5, business_lines)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width / 2, top)
    facts = [
        ("Invoice number", invoice.number),
        ("Issue date", _d(invoice.issue_date)),
        ("Due date", _d(invoice.due_date)),
        ("Amount due", money(invoice.balance)),
    ]
    for label, value in facts:
        pdf.set_x(pdf.l_margin + width / 2)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(width / 4, 5, _t(label), align="R")
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(width / 4, 5, _t(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(width, 5, "BILL TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    client_lines = [invoice.client.name, *invoice.client.address.splitlines(), invoice.client.email]
    _lines(pdf, width / 2, 5, client_lines)
    pdf.ln(6)

    cols = (width * 0.46, width * 0.12, width * 0.16, width * 0.10, width * 0.16)
    pdf.set_fill_color(235, 238, 242)
    pdf.set_font("Helvetica", "B", 9)
    for text, w, align in zip(
        ("Description", "Qty", "Unit price", "Tax", "Amount"), cols, "LRRRR", strict=True
    ):
        pdf.cell(w, 7, text, align=align, fill=True)
    pdf.ln(7)
    pdf.set_font("Helvetica", "", 9)
    for line in invoice.lines:
        tax = f"{line.tax_rate_bp / 100:g}%" if line.tax_rate_bp else "-"
        values = (
            line.description,
            _qty(line.quantity_milli),
            money(line.unit_price),
            tax,
            money(line.amount),
        )
        for text, w, align in zip(values, cols, "LRRRR", strict=True):
            pdf.cell(w, 6.5, _t(text)[:70], align=align, border="B")
        pdf.ln(6.5)
    pdf.ln(2)

    def total_row(label: str, amount: int, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10 if bold else 9)
        pdf.cell(width - cols[4] - cols[3] - cols[2], 6)
        pdf.cell(cols[2] + cols[3], 6, label, align="R")
        pdf.cell(cols[4], 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")

    total_row("Subtotal", invoice.subtotal)
    total_row("Tax", invoice.tax_total)
    total_row("Total", invoice.total, bold=True)
    if invoice.amount_paid:
        total_row("Paid", -invoice.amount_paid)
        total_row("Balance due", invoice.balance, bold=True)
    pdf.ln(4)
    if status_line:
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(width, 5, _t(status_line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if how_to_pay:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(width, 5, "HOW TO PAY", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width, 4.5, _t(how_to_pay), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if invoice.notes:
        pdf.set_font("Helvetica", "I", 9)
        pdf.multi_cell(width, 4.5, _t(invoice.notes), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
