"""The hosted invoice page's HTML: every value escaped, control characters as symbols
(web.html_text), no inline script or style."""

from __future__ import annotations

from services.doors.web import InvoicePage
from services.emails.billing import Door
from services.invoices.views import InvoiceDetail, status_stamp, total_rows
from services.money import format_money
from services.payments.card_links import StripeJs
from web.card_html import _page, consent
from web.html_text import html_text


def _qty(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return f"{whole}" if not frac else f"{whole}.{frac:03d}".rstrip("0")


def _lines(invoice: InvoiceDetail) -> str:
    def money(amount: int) -> str:
        return html_text(format_money(amount, invoice.currency, invoice.locale))

    rows = "".join(
        f"<tr><td>{html_text(line.description)}</td><td class=num>{_qty(line.quantity_milli)}</td>"
        f"<td class=num>{money(line.unit_price)}</td><td class=num>{money(line.amount)}</td></tr>"
        for line in invoice.lines
    )
    totals = total_rows(invoice)
    if invoice.amount_paid:
        totals.append(("Paid", invoice.amount_paid))
    totals.append(("Balance due", invoice.balance))
    foot = "".join(
        f"<tr><th colspan=3>{label}</th><td class=num>{money(amount)}</td></tr>"
        for label, amount in totals
    )
    return (
        '<table class="lines"><thead><tr><th>Description</th><th class=num>Qty</th>'
        "<th class=num>Price</th><th class=num>Amount</th></tr></thead>"
        f"<tbody>{rows}</tbody><tfoot>{foot}</tfoot></table>\n"
    )


def _pay_form(page: InvoicePage, js: StripeJs | None) -> str:
    invoice = page.invoice
    if not invoice.payable:
        return ""
    if page.action_attempt is not None:
        return (
            f'<section id="action" data-attempt="{page.action_attempt}" '
            f'data-key="{html_text(js.publishable_key) if js else ""}">\n'
            "<h2>Your bank wants to confirm a payment</h2>\n"
            "<p>A card payment for this invoice waits for your bank's confirmation "
            "(3-D Secure). Nothing was charged yet.</p>\n"
            '<button type="button" id="authenticate">Complete the payment</button>\n'
            '<p id="message" role="status" aria-live="polite"></p>\n</section>\n'
            '<p id="done" role="status" hidden></p>\n'
        )
    if js is None:
        return '<p class="small">Card payments are not set up on this page yet.</p>\n'
    saved = "".join(
        f'<label class="choice"><input type="radio" name="card" value="{card.id}"'
        f"{' checked' if card.is_default else ''}> {html_text(card.label)}</label>\n"
        for card in page.cards
    )
    new_checked = "" if page.cards else " checked"
    money = html_text(format_money(invoice.balance, invoice.currency, invoice.locale))
    return f"""<h2>Pay with a card</h2>
<form id="pay-form" data-key="{html_text(js.publishable_key)}">
{saved}<label class="choice"><input type="radio" name="card" value="new"{new_checked}>
 A new card</label>
<div id="new-card">
<div id="card-element"></div>
<p class="small">{html_text(consent(invoice.business.name))}</p>
</div>
<button type="submit" id="pay">Pay {money}</button>
<p id="message" role="status" aria-live="polite"></p>
</form>
<p id="done" role="status" hidden></p>
<p class="small">The card number goes straight to Stripe, our payment processor:
{html_text(invoice.business.name)} never sees it.</p>
"""


def invoice_page(page: InvoicePage, code: str, door: Door, js: StripeJs | None) -> str:
    invoice = page.invoice
    due = f"{invoice.due_date:%B} {invoice.due_date.day}, {invoice.due_date.year}"
    status = "overdue" if invoice.overdue and invoice.payable else invoice.status
    body = (
        f'<h2>Invoice {html_text(invoice.number)} <span class="status {html_text(status)}">'
        f"{html_text(status_stamp(status))}</span></h2>\n"
        f"<p>For {html_text(invoice.client.name)} · due {html_text(due)}</p>\n"
        + _lines(invoice)
        + (f'<p class="small">{html_text(invoice.notes)}</p>\n' if invoice.notes else "")
        + f'<p><a href="/i/{html_text(code)}/pdf">Download the PDF</a></p>\n'
        + _pay_form(page, js)
        + "<h2>Open it in the billing kiosk</h2>\n"
        "<p class=small>Copy this command into a terminal:</p>\n"
        f'<pre class="command">{html_text(door.command(code))}</pre>\n'
    )
    scripts = ""
    if js is not None and invoice.payable:
        scripts = (
            f'<script src="{html_text(js.script_url)}"></script>\n'
            '<script src="/assets/invoice.js"></script>\n'
        )
    title = f"Invoice {invoice.number} — {invoice.business.name}"
    return _page(title, invoice.business.name, body, scripts)
