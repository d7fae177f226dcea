"""The hosted card page's HTML: every value escaped, control characters as symbols
(web.html_text), no inline script or style."""

from __future__ import annotations

from services.payments.card_links import CardPage, StripeJs
from web.html_text import html_text

HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{title}</title>
<link rel="stylesheet" href="/assets/card.css">
</head>
<body>
<main>
<h1>{business}</h1>
"""
TAIL = """</main>
{scripts}</body>
</html>
"""


def consent(business: str) -> str:
    """What the client agrees to by saving the card (shown above the card field)."""
    return (
        f"By saving this card you authorise {business} to charge it for your invoices, "
        "including the automatic payments of your recurring invoices while auto-billing is on. "
        "You can remove the card or turn auto-billing off at any time in the billing kiosk."
    )


def open_page(page: CardPage, js: StripeJs) -> str:
    business = html_text(page.business_name)
    key, secret = html_text(js.publishable_key), html_text(page.client_secret)
    body = f"""<h2>Add a card for {html_text(page.client_name)}</h2>
<p class="consent">{html_text(consent(page.business_name))}</p>
<form id="card-form" data-key="{key}" data-secret="{secret}">
<div id="card-element"></div>
<button type="submit" id="save">Save card</button>
<p id="message" role="status" aria-live="polite"></p>
</form>
<p id="done" role="status" hidden></p>
<p class="small">The card number goes straight to Stripe, our payment processor: {business} never
sees it and keeps only the card's brand, last 4 digits and expiry date.</p>
"""
    scripts = (
        f'<script src="{html_text(js.script_url)}"></script>\n'
        '<script src="/assets/card.js"></script>\n'
    )
    return _page(f"Add a card — {page.business_name}", page.business_name, body, scripts)


def gone_page(business: str, headline: str, detail: str) -> str:
    body = f'<h2 class="gone">{html_text(headline)}</h2>\n<p>{html_text(detail)}</p>\n'
    return _page(headline, business, body, "")


def _page(title: str, business: str, body: str, scripts: str) -> str:
    head = HEAD.format(title=html_text(title), business=html_text(business or "Billing"))
    return head + body + TAIL.format(scripts=scripts)
