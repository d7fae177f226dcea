"""The hosted card page over real HTTP, against the worker's localstripe."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from models import Business, CardLink, PaymentMethod, utcnow
from tests.fixtures.card_page import browser_confirm, token_of
from tests.fixtures.web import WebServer, http


def _link(shop) -> tuple[int, str]:
    link = shop.services.card_links.create(shop.client_id)
    return link.id, token_of(link.url)


def test_the_page_names_the_business_and_sends_a_strict_csp(shop, web_server, sandbox_url):
    _, token = _link(shop)
    reply = http(web_server, "GET", f"/card/{token}")
    assert reply.status == 200
    csp = reply.headers["Content-Security-Policy"]
    assert f"script-src 'self' {sandbox_url}; " in csp
    assert f"connect-src 'self' {sandbox_url}; " in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = reply.body.decode()
    assert "Desktop Masters" in html and "Acme Dental" in html
    assert "authorise Desktop Masters to charge it" in html and "auto-billing" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, _ in scripts] == [
        f' src="{sandbox_url}/js.stripe.com/v3/"',
        ' src="/assets/card.js"',
    ]
    assert all(body == "" for _, body in scripts)  # no inline script
    assert "style=" not in html


def test_the_assets_are_served_from_the_app(web_server):
    js = http(web_server, "GET", "/assets/card.js")
    css = http(web_server, "GET", "/assets/card.css")
    assert js.status == css.status == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert b"confirmCardSetup" in js.body
    assert css.headers["Content-Type"].startswith("text/css")
    assert http(web_server, "GET", "/assets/nothing.js").status == 404


def test_a_get_never_uses_the_token_the_post_does(shop, web_server: WebServer, sandbox_url):
    link_id, token = _link(shop)
    for _ in range(3):  # a mail scanner, a preview, the client
        assert http(web_server, "GET", f"/card/{token}").status == 200
    assert CardLink.get_by_id(link_id).used_at is None

    secret = shop.services.card_links.page(token).client_secret
    assert browser_confirm(sandbox_url, secret)["status"] == "succeeded"
    done = http(web_server, "POST", f"/card/{token}/done")
    assert done.status == 200 and done.json() == {"message": "Card saved: Visa •••• 4242"}
    assert CardLink.get_by_id(link_id).used_at is not None

    again = http(web_server, "GET", f"/card/{token}")
    assert again.status == 410
    assert b"This card link was already used." in again.body
    assert "Visa •••• 4242 was saved".encode() in again.body
    assert http(web_server, "POST", f"/card/{token}/done").status == 410
    assert PaymentMethod.select().count() == 1


def test_a_post_before_the_browser_confirmed_saves_nothing(shop, web_server):
    link_id, token = _link(shop)
    reply = http(web_server, "POST", f"/card/{token}/done")
    assert reply.status == 409 and "not confirmed" in reply.json()["error"]
    assert CardLink.get_by_id(link_id).used_at is None


def test_an_expired_link_says_so(shop, web_server):
    _, token = _link(shop)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        reply = http(web_server, "GET", f"/card/{token}")
        assert reply.status == 410
        assert b"This card link has expired." in reply.body
        assert b"Add a card" in reply.body
        assert http(web_server, "POST", f"/card/{token}/done").status == 410


def test_an_unknown_token_is_404(web_server):
    assert http(web_server, "GET", "/card/" + "A" * 43).status == 404
    assert http(web_server, "POST", "/card/short/done").status == 404


def test_stored_names_are_text_not_markup(shop, web_server):
    Business.update(name="<script>alert(1)</script>").execute()
    _, token = _link(shop)
    html = http(web_server, "GET", f"/card/{token}").body.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
