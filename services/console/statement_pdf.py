"""A client's statement as a PDF with the invoice's look (services/invoices/pdf.py's page and
head): the account summary, the activity with its running balance, then what was outstanding
at the end with the aging buckets."""

from __future__ import annotations

from services.console.receivables import BUCKETS
from services.console.statements import KINDS, Statement
from services.dates import format_day
from services.invoices.pdf import document_head, new_document
from services.money import format_money


def render_statement_pdf(st: Statement, how_to_pay: str = "") -> bytes:
    """The statement of `st`: A4 pages, as many as its activity needs."""

    def money(amount: int) -> str:
        return format_money(amount, st.currency, st.locale)

    def day(value) -> str:
        return format_day(value, st.locale)

    pdf, page = new_document(f"Statement {st.client.name}", st.business.name)
    left, right = page.left, page.right
    width = right - left
    facts = (
        ("From", day(st.start)),
        ("To", day(st.end)),
        ("Balance due", money(st.closing)),
    )
    document_head(page, st.business, "STATEMENT", facts, "STATEMENT FOR", st.client)

    def band(headings: tuple[tuple[str, float, str], ...]) -> None:
        pdf.set_fill_color(235, 238, 242)
        pdf.rect(left, page.y - 5, width, 7, style="F")
        page.font("B", 9)
        for text, x, align in headings:
            page.at(x, text, align)
        page.font("", 9)

    def summary_row(label: str, amount: int, bold: bool = False) -> None:
        page.down(6)
        page.font("B" if bold else "", 10 if bold else 9)
        page.at(left + width * 0.5, label, "R")
        page.at(left + width * 0.75, money(amount), "R")

    page.font("B", 9)
    page.at(left, "ACCOUNT SUMMARY")
    summary_row(f"Balance on {day(st.start)} (opening)", st.opening)
    summary_row("Invoiced", st.invoiced)
    summary_row("Paid", -st.paid)
    summary_row("Refunded", st.refunded)
    if st.voided:
        summary_row("Voided", -st.voided)
    summary_row(f"Balance on {day(st.end)} (closing)", st.closing, bold=True)
    page.down(12)

    cols = (left + 1, left + width * 0.2, left + width * 0.42, left + width * 0.8, right - 1)
    pdf.set_draw_color(210, 214, 220)
    band(
        (
            ("Date", cols[0], "L"),
            ("What", cols[1], "L"),
            ("Reference", cols[2], "L"),
            ("Amount", cols[3], "R"),
            ("Balance", cols[4], "R"),
        )
    )
    page.down(6.5)
    page.at(cols[0], day(st.start))
    page.at(cols[1], "Opening balance")
    page.at(cols[4], money(st.opening), "R")
    for line in st.lines:
        page.down(6.5)
        page.at(cols[0], day(line.day))
        page.at(cols[1], KINDS[line.kind])
        page.at(cols[2], line.reference[:30])
        page.at(cols[3], money(line.amount), "R")
        page.at(cols[4], money(line.balance), "R")
        pdf.line(left, page.y + 2, right, page.y + 2)
    page.down(12)

    page.font("B", 9)
    page.at(left, f"OUTSTANDING ON {day(st.end).upper()}")
    page.down(8)
    cols = (left + 1, left + width * 0.25, left + width * 0.5, left + width * 0.75, right - 1)
    band(
        (
            ("Invoice", cols[0], "L"),
            ("Issued", cols[1], "L"),
            ("Due", cols[2], "L"),
            ("Days overdue", cols[3], "R"),
            ("Balance", cols[4], "R"),
        )
    )
    if not st.outstanding:
        page.down(6.5)
        page.at(cols[0], "Nothing outstanding.")
    for item in st.outstanding:
        page.down(6.5)
        page.at(cols[0], item.number)
        page.at(cols[1], day(item.issue_date))
        page.at(cols[2], day(item.due_date))
        page.at(cols[3], str(item.days_overdue) if item.days_overdue else "-", "R")
        page.at(cols[4], money(item.balance), "R")
        pdf.line(left, page.y + 2, right, page.y + 2)
    page.down(10)
    step = width / len(BUCKETS)
    page.font("B", 9)
    for i, (label, _, _) in enumerate(BUCKETS):
        page.at(left + step * (i + 1) - 1, "Current" if i == 0 else f"{label} days", "R")
    page.down(5.5)
    page.font("", 9)
    for i, amount in enumerate(st.buckets):
        page.at(left + step * (i + 1) - 1, money(amount), "R")
    page.down(6)
    page.font("B", 10)
    page.at(left + step * len(BUCKETS) - 1, f"Total due {money(st.owed)}", "R")
    page.down(6)
    if how_to_pay:
        page.font("B", 9)
        page.down(4.5)
        page.at(left, "HOW TO PAY")
        page.paragraph(how_to_pay)
    return bytes(pdf.output())
