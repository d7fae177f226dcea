"""What a page GET costs: the work that must not be repeated per request under load."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import cast

import pytest
import stripe

import services.payments.card_links as card_links
from models import AccessCode, AuditLog, db, is_sqlite
from services.invoices.views import LineInput
from services.stripe_client.rate_limit import RateLimiter, ThrottledStripe
from tests.fixtures.card_page import browser_confirm, token_of
from tests.fixtures.web import http

DECLINED = "4000000000000002"


def test_the_sandbox_is_not_looked_up_for_every_page(shop, web_server, monkeypatch):
    token = token_of(shop.services.card_links.create(shop.client_id).url)
    lookups = []
    real = card_links.sandbox_url

    def counted(config):
        lookups.append(1)
        return real(config)

    monkeypatch.setattr(card_links, "sandbox_url", counted)
    shop.services.card_links._js = None  # as a fresh server process
    for _ in range(5):
        assert http(web_server, "GET", f"/card/{token}").status == 200
    assert len(lookups) == 1


def _secret_in(html: bytes) -> str:
    [secret] = re.findall(r'data-secret="([^"]+)"', html.decode())
    return secret


def test_a_card_page_get_asks_stripe_nothing_once_it_knows_the_secret(shop, web_server):
    links = shop.services.card_links
    token = token_of(links.create(shop.client_id).url)
    counted = ThrottledStripe(links.stripe, RateLimiter(0))
    links.stripe = cast(stripe.StripeClient, counted)
    pages = [http(web_server, "GET", f"/card/{token}") for _ in range(5)]
    assert {page.status for page in pages} == {200}
    assert len({_secret_in(page.body) for page in pages}) == 1
    assert counted.stats["calls"] == 1  # the first GET of this process only


def test_after_a_decline_the_page_renews_its_secret_and_the_card_saves(
    shop, web_server, sandbox_url
):
    token = token_of(shop.services.card_links.create(shop.client_id).url)
    first = _secret_in(http(web_server, "GET", f"/card/{token}").body)
    declined = browser_confirm(sandbox_url, first, DECLINED)
    assert "error" in declined  # the sandbox cancels the SetupIntent
    renewed = http(web_server, "POST", f"/card/{token}/renew")
    assert renewed.status == 200
    secret = renewed.json()["secret"]
    assert secret != first and secret.startswith("seti_")
    assert _secret_in(http(web_server, "GET", f"/card/{token}").body) == secret
    assert browser_confirm(sandbox_url, secret)["status"] == "succeeded"
    assert http(web_server, "POST", f"/card/{token}/done").status == 200
    assert http(web_server, "POST", f"/card/{token}/renew").status == 410
    assert http(web_server, "GET", f"/card/{token}").status == 410


def test_repeated_invoice_page_gets_write_nothing(shop, web_server):
    services = shop.services
    detail = services.invoices.create(
        shop.client_id, [LineInput("Support", 12_500, 1000)], date.today()
    )
    code = services.codes.create(detail.id)
    assert http(web_server, "GET", f"/i/{code}").status == 200
    rows, used = AuditLog.select().count(), AccessCode.get().last_used_at
    for _ in range(5):
        assert http(web_server, "GET", f"/i/{code}").status == 200
    assert AuditLog.select().count() == rows and AccessCode.get().last_used_at == used
    assert http(web_server, "GET", "/i/0000-0000-0000-0000-0000-0000-0000").status == 404
    assert AuditLog.select().count() == rows + 1  # a wrong code is still counted and audited


def _statements(call) -> list[str]:
    """The SQL statements `call()` runs on this thread's connection (SQLite's trace hook)."""
    if not is_sqlite():
        pytest.skip("counted with SQLite's trace hook")
    seen: list[str] = []
    connection = db.connection()
    connection.set_trace_callback(seen.append)
    try:
        call()
    finally:
        connection.set_trace_callback(None)
    return seen


def _code(shop) -> str:
    """A code for a new invoice due in the future."""
    services = shop.services
    detail = services.invoices.create(
        shop.client_id, [LineInput("Support", 12_500, 1000)], date.today()
    )
    return services.codes.create(detail.id)


def test_a_card_page_get_is_one_statement(shop):
    links = shop.services.card_links
    token = token_of(links.create(shop.client_id).url)
    assert links.page(token).client_secret  # this process now knows the secret
    assert len(_statements(lambda: links.page(token))) == 1


def test_an_invoice_page_get_is_six_short_statements(shop):
    services, code = shop.services, _code(shop)
    door = services.invoice_pages()
    first = door.page(code, "127.0.0.1")
    assert first.invoice == services.invoices.get(first.invoice.id)  # the kiosk's own view
    # throttle lock, code + invoice, invoice + business + client, lines, cards, 3-D Secure wait
    assert len(_statements(lambda: door.page(code, "127.0.0.1"))) == 6


def test_a_page_shown_again_reads_only_the_change_number(shop):
    from services.doors.web_drawn import InvoicePages
    from services.drawn_pages import DrawnPages
    from web.card_page import _drawn
    from web.invoice_page import _drawer

    services, code = shop.services, _code(shop)
    door = services.invoice_pages()
    pages = InvoicePages(door, _drawer(door, services.config))
    for _ in range(2):  # the first notes the code's use (a commit): the second is kept
        pages.shown(code, "127.0.0.1")
    seen = _statements(lambda: pages.shown(code, "127.0.0.1"))  # the address's lock read
    assert len(seen) == 2 and seen[0] == "PRAGMA data_version" and "throttle" in seen[1]
    # Then not again while nothing is committed (a lock is a commit).
    assert _statements(lambda: pages.shown(code, "127.0.0.1")) == ["PRAGMA data_version"]
    links, cards = services.card_links, DrawnPages()
    token = token_of(links.create(shop.client_id).url)
    for _ in range(2):
        _drawn(links, cards, token)
    assert _statements(lambda: _drawn(links, cards, token)) == ["PRAGMA data_version"]


def test_while_one_thread_looks_the_sandbox_up_the_others_keep_the_last_answer(shop, monkeypatch):
    links = shop.services.card_links
    known = links.stripe_js()
    lookups = []
    monkeypatch.setattr(card_links, "sandbox_url", lambda config: lookups.append(1) or "http://x")
    links._js = (time.monotonic() - 2 * card_links.JS_REVALIDATE, known)  # stale
    with links._js_lock:  # another thread is looking it up
        assert links.stripe_js() is known
    assert not lookups
    assert links.stripe_js().script_origin == "http://x" and lookups == [1]  # then this one does
