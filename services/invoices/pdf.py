"""The invoice as a clean, printable PDF (fpdf2, built-in Helvetica: small and fast)."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable
from datetime import date

from fpdf import FPDF

from services.dates import format_day
from services.invoices.views import InvoiceDetail, Party, total_rows
from services.money import format_money
from services.text import visible

# "•" (a card's mask) is not in the built-in fonts; "·" is, and reads the same.
_REPLACE = {"•": "·", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."}


def _t(text: object) -> str:
    """Text the built-in fonts can draw: typographic marks simplified, the rest transliterated."""
    value = visible(text)  # no control character reaches a page (or a PDF reader's copy)
    if value.isascii():
        return value
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


def _d(day: date, locale: str) -> str:
    return format_day(day, locale)


class _Page:
    """Text placed with FPDF.text() at explicit positions: no cell or line-break machinery,
    which keeps an invoice under a couple of milliseconds."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.left = pdf.l_margin
        self.right = pdf.w - pdf.r_margin
        self.y = pdf.t_margin
        self.style = ("", 0.0)
        self.widths: dict = {}
        self.scale = 0.0

    def font(self, style: str, size: float) -> None:
        if (style, size) != self.style:
            self.pdf.set_font("Helvetica", style, size)
            self.style = (style, size)
            font = self.pdf.current_font
            assert font is not None
            self.widths = font.cw  # a built-in font's character widths, 1/1000 of its size
            self.scale = self.pdf.font_size_pt / 1000 / self.pdf.k

    def at(self, x: float, text: str, align: str = "L", y: float | None = None) -> None:
        text = _t(text)
        if align == "R":  # FPDF.get_string_width's sum, without its text-shaping machinery
            widths = self.widths
            x -= sum(widths[c] for c in text) * self.scale
        self.pdf.text(x, self.y if y is None else y, text)

    def down(self, mm: float) -> None:
        self.y += mm
        if self.y > self.pdf.h - 18:
            self.pdf.add_page()
            self.y = self.pdf.t_margin + 4

    def paragraph(self, text: str, size: float = 9, style: str = "") -> None:
        self.font(style, size)
        for raw in text.splitlines() or [""]:
            # A command or a code is never cut at its hyphens (it is copied from here).
            for line in textwrap.wrap(raw, 105, break_on_hyphens=False) or [""]:
                self.down(size * 0.45)
                self.at(self.left, line)


def new_document(title: str, author: str) -> tuple[FPDF, _Page]:
    """An A4 document with the invoice's margins and metadata, on its first page."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_t(title))
    pdf.set_author(_t(author))
    pdf.set_creator("paydesk")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    return pdf, _Page(pdf)


def document_head(
    page: _Page,
    business: Party,
    title: str,
    facts: Iterable[tuple[str, str]],
    to_label: str,
    client: Party,
) -> None:
    """The top of an invoice or a statement: the business and its address on the left, the
    title and `facts` (label, value) on the right, then `to_label` and the client."""
    left, right = page.left, page.right
    page.down(6)
    page.font("B", 18)
    page.at(left, business.name[:40])
    page.at(right, title, "R")
    top = page.y
    page.font("", 9)
    for line in [*business.address.splitlines(), business.email]:
        if line:
            page.down(4.5)
            page.at(left, line[:60])
    left_bottom = page.y
    page.y = top
    for label, value in facts:
        page.down(5)
        page.font("", 9)
        page.at(right - 40, label, "R")
        page.font("B", 9)
        page.at(right, value, "R")
    page.y = max(left_bottom, page.y) + 10

    page.font("B", 9)
    page.at(left, to_label)
    page.font("", 10)
    for line in [client.name, *client.address.splitlines(), client.email]:
        if line:
            page.down(5)
            page.at(left, line[:60])
    page.down(10)


def render_invoice_pdf(
    invoice: InvoiceDetail,
    how_to_pay: str = "",
    status_line: str = "",
) -> bytes:
    """One A4 page (more if the lines need it): business, client, lines, tax, total, due date."""

    formatted: dict[int, str] = {}

    def money(amount: int) -> str:
        if amount not in formatted:
            formatted[amount] = format_money(amount, invoice.currency, invoice.locale)
        return formatted[amount]

    pdf, page = new_document(f"Invoice {invoice.number}", invoice.business.name)
    left, right = page.left, page.right
    width = right - left

    facts = (
        ("Invoice number", invoice.number),
        ("Issue date", _d(invoice.issue_date, invoice.locale)),
        ("Due date", _d(invoice.due_date, invoice.locale)),
        ("Amount due", money(invoice.balance)),
    )
    document_head(page, invoice.business, "INVOICE", facts, "BILL TO", invoice.client)

    # columns: description | qty | unit price | tax | amount (right edges)
    edges = (left + width * 0.58, left + width * 0.74, left + width * 0.84, right)
    pdf.set_fill_color(235, 238, 242)
    pdf.rect(left, page.y - 5, width, 7, style="F")
    page.font("B", 9)
    page.at(left + 1, "Description")
    for text, edge in zip(("Qty", "Unit price", "Tax", "Amount"), edges, strict=True):
        page.at(edge - 1, text, "R")
    page.font("", 9)
    pdf.set_draw_color(210, 214, 220)
    for item in invoice.lines:
        page.down(6.5)
        tax = f"{item.tax_rate_bp / 100:g}%" if item.tax_rate_bp else "-"
        page.at(left + 1, item.description[:70])
        values = (_qty(item.quantity_milli), money(item.unit_price), tax, money(item.amount))
        for text, edge in zip(values, edges, strict=True):
            page.at(edge - 1, text, "R")
        pdf.line(left, page.y + 2, right, page.y + 2)
    page.down(3)

    def total_row(label: str, amount: int, bold: bool = False) -> None:
        page.down(6)
        page.font("B" if bold else "", 10 if bold else 9)
        page.at(edges[1] - 1, label, "R")
        page.at(right - 1, money(amount), "R")

    for label, amount in total_rows(invoice):
        total_row(label, amount, bold=label == "Total")
    if invoice.amount_paid:
        total_row("Paid", -invoice.amount_paid)
        total_row("Balance due", invoice.balance, bold=True)
    page.down(6)
    if status_line:
        page.paragraph(status_line, 10, "B")
        page.down(3)
    if how_to_pay:
        page.font("B", 9)
        page.down(4.5)
        page.at(left, "HOW TO PAY")
        page.paragraph(how_to_pay)
        page.down(3)
    if invoice.notes:
        page.paragraph(invoice.notes, 9, "I")
    return bytes(pdf.output())
