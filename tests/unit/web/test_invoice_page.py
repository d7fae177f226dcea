"""The hosted invoice page over real HTTP, against the worker's localstripe: what a code
shows and what it refuses (wrong code, throttle, other invoices, a paid or void invoice), the
PDF, paying with a saved card once, and a SetupIntent of another invoice refused."""

from __future__ import annotations

import io
import json
from datetime import date

from pypdf import PdfReader

from models import Client, Invoice, Payment, PaymentAttempt
from services.clock import business_today
from services.invoices.discount import PERCENT, Discount
from services.invoices.views import LineInput
from services.settings.store import store
from tests.fixtures.web import http


def _invoice(shop, amount: int = 12_500) -> tuple[int, str]:
    services = shop.services
    detail = services.invoices.create(
        shop.client_id, [LineInput("Network audit", amount, 1000)], date(2026, 3, 1)
    )
    return detail.id, services.codes.create(detail.id)


def _post(server, path: str, body: dict) -> object:
    return http(server, "POST", path, data=json.dumps(body).encode())


def test_the_page_shows_the_invoice_and_its_pdf(shop, web_server):
    _, code = _invoice(shop)
    reply = http(web_server, "GET", f"/i/{code}")
    assert reply.status == 200
    html = reply.body.decode()
    for needle in ("Desktop Masters", "INV-0001", "Network audit", "$125.00", "Balance due"):
        assert needle in html, needle
    assert f"ssh -t -p 2222 127.0.0.1 view {code}" in html
    assert ">DUE</span>" in html or ">OVERDUE</span>" in html
    assert 'id="pay"' in html and "/assets/invoice.js" in html
    assert "unsafe-inline" not in reply.headers["Content-Security-Policy"]
    pdf = http(web_server, "GET", f"/i/{code}/pdf")
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.body)).pages[0].extract_text()
    assert "INV-0001" in text and "$125.00" in text


def test_a_partly_paid_invoice_says_so_as_the_kiosk_and_the_console_do(shop, web_server):
    services = shop.services
    lines = [LineInput("Network audit", 12_500, 1000)]
    invoice_id = services.invoices.create(shop.client_id, lines, business_today("UTC")).id
    code = services.codes.create(invoice_id)
    Invoice.update(amount_paid=5_000, status="partial").where(Invoice.id == invoice_id).execute()
    html = http(web_server, "GET", f"/i/{code}").body.decode()
    assert ">PARTLY PAID</span>" in html and "$75.00" in html
    pdf = http(web_server, "GET", f"/i/{code}/pdf")
    text = PdfReader(io.BytesIO(pdf.body)).pages[0].extract_text()
    assert "PARTLY PAID" in text and "PARTIAL" not in text


def test_the_page_and_its_pdf_name_the_ssh_door_the_console_settings_name(shop, web_server):
    _, code = _invoice(shop)
    store({"ssh_host": "billing.example.net", "ssh_port": 2022})  # the console's Settings
    html = http(web_server, "GET", f"/i/{code}").body.decode()
    assert f"ssh -t -p 2022 billing.example.net view {code}" in html
    assert "-p 2222 127.0.0.1" not in html
    pdf = http(web_server, "GET", f"/i/{code}/pdf")
    text = PdfReader(io.BytesIO(pdf.body)).pages[0].extract_text()
    assert "billing.example.net" in text.replace("\n", "")


def test_the_page_shows_a_discount_taken_before_tax(shop, web_server):
    services = shop.services
    lines = [LineInput("Network audit", 10_000, 1000, 1000), LineInput("Cable", 5000)]
    detail = services.invoices.create(
        shop.client_id, lines, date(2026, 3, 1), discount=Discount(PERCENT, 1000)
    )
    html = http(web_server, "GET", f"/i/{services.codes.create(detail.id)}").body.decode()
    for needle in ("Discount (10%)", "-$15.00", "$9.00", "$144.00"):
        assert needle in html, needle


def test_a_wrong_code_is_refused_and_throttled_per_address(shop, web_server):
    _, code = _invoice(shop)
    wrong = "0000-0000-0000-0000-0000-0000-0000"
    for _ in range(10):
        reply = http(web_server, "GET", f"/i/{wrong}")
        assert reply.status == 404 and b"not valid" in reply.body
    assert http(web_server, "GET", f"/i/{wrong}").status == 429
    # while throttled, even the right code (and its PDF and payments) answers "too many"
    throttled = http(web_server, "GET", f"/i/{code}")
    assert throttled.status == 429 and b"Too many attempts" in throttled.body
    assert http(web_server, "GET", f"/i/{code}/pdf").status == 429
    assert _post(web_server, f"/i/{code}/pay", {"card": 1}).status == 429


def test_paying_with_a_saved_card_once_then_no_pay_button(shop, web_server, sandbox_url):
    invoice_id, code = _invoice(shop)
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    html = http(web_server, "GET", f"/i/{code}").body.decode()
    assert f'value="{card.id}" checked> Visa •••• 4242' in html
    reply = _post(web_server, f"/i/{code}/pay", {"card": card.id})
    assert reply.status == 200, reply.body
    assert reply.json()["status"] == "succeeded"
    again = _post(web_server, f"/i/{code}/pay", {"card": card.id})
    assert again.status == 409 and "is paid" in again.json()["error"]
    assert Payment.select().count() == 1 and PaymentAttempt.get().source == "web"
    page = http(web_server, "GET", f"/i/{code}").body.decode()
    assert "PAID" in page and 'id="pay"' not in page and "invoice.js" not in page


def test_a_void_invoice_shows_no_pay_button(shop, web_server):
    invoice_id, code = _invoice(shop)
    other_id, other_code = _invoice(shop)
    shop.services.invoices.void(other_id)
    assert http(web_server, "GET", f"/i/{other_code}").status == 404  # void: codes revoked
    assert 'id="pay"' in http(web_server, "GET", f"/i/{code}").body.decode()


def test_a_code_reaches_only_its_own_invoice(shop, web_server, stripe_api):
    first_id, first = _invoice(shop)
    second_id, second = _invoice(shop)
    other = Client.create(business=shop.business_id, name="Birch", email="b@example.com")
    theirs = shop.services.cards.add_test_card(other.id, "success")
    refused = _post(web_server, f"/i/{first}/pay", {"card": theirs.id})
    assert refused.status == 409 and PaymentAttempt.select().count() == 0
    # a SetupIntent made for the second invoice's page cannot pay the first one
    secret = _post(web_server, f"/i/{second}/card", {}).json()["secret"]
    seti = secret.split("_secret_")[0]
    stripe_api.v1.setup_intents.confirm(seti, params={"payment_method": "pm_card_visa"})
    crossed = _post(web_server, f"/i/{first}/pay", {"setup_intent": seti})
    assert crossed.status == 409 and "this invoice" in crossed.json()["error"]
    assert PaymentAttempt.select().count() == 0
    bad = http(web_server, "POST", f"/i/{first}/pay", data=b"not json")
    assert bad.status == 409
