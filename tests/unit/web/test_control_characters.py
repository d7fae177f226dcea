"""Stored text in the hosted pages is escaped and its control characters are symbols: a name
or line written past the input checks never carries an ESC or BEL into the HTML."""

from __future__ import annotations

from models import Business, Client, InvoiceLine
from services.payments.card_links import CardPage, LinkState, StripeJs
from tests.fixtures.web import http
from tests.unit.web.test_invoice_page import _invoice
from web.card_html import gone_page, open_page

EVIL = "<b>Acme</b> \x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned\x07"


def no_controls(html: str) -> None:
    assert "\x1b" not in html and "\x07" not in html
    assert "&lt;b&gt;Acme&lt;/b&gt; ␛]52;c;cHduZWQ=␇ ␛]0;pwned␇" in html


def test_the_card_page_shows_control_characters_as_symbols():
    js = StripeJs("https://js.example/v3/", "https://js.example", (), (), "pk_test_x")
    no_controls(open_page(CardPage(LinkState.OPEN, EVIL, EVIL, "seti_secret"), js))
    no_controls(gone_page(EVIL, "This link was used", "Ask for a new one."))


def test_the_invoice_page_shows_control_characters_as_symbols(shop, web_server):
    invoice_id, code = _invoice(shop)
    Business.update(name=EVIL).execute()
    Client.update(name=EVIL).where(Client.id == shop.client_id).execute()
    InvoiceLine.update(description=EVIL).where(InvoiceLine.invoice == invoice_id).execute()
    html = http(web_server, "GET", f"/i/{code}").body.decode()
    no_controls(html)
    assert html.count("␛]0;pwned␇") >= 3  # the business, the client, the line
