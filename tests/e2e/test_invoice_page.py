"""The hosted invoice page in headless Chromium: the [View Invoice] link taken from a real
email (the test SMTP server), Pay with a card through localstripe's Stripe.js, paid once,
receipt emailed, the kiosk's desk shows it paid; a 3-D Secure card completing on the page;
and no card number in any request the browser sent to paydesk, the database, the logs or the
mail."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from models import Business, Client, Contact, Invoice, Payment, PaymentAttempt, db
from services.billing.run import make_runner
from services.container import build_services
from services.invoices.views import LineInput
from tests.fixtures.payments import card_like_runs, database_text
from tests.fixtures.ports import free_port
from tests.fixtures.web import start_web, stop_web

BUTTON = re.compile(r'href="(http://127\.0\.0\.1:\d+/i/[0-9a-z-]+)" style=')
VISA = "4242424242424242"
THREE_DS = "4000002760003184"


@pytest.fixture
def site(pay_config, smtp_server):
    port = free_port()
    config = replace(
        pay_config,
        smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
        public_url=f"http://127.0.0.1:{port}",
    )
    services = build_services(config)
    server, thread = start_web(services, port)
    yield services, server
    stop_web(server, thread)
    services.payments.flush_receipts()
    db.close()


def _emailed_invoice(services, smtp_server) -> str:
    """Bill a recurring invoice through the run; the [View Invoice] URL of its email."""
    business = Business.create(name="Desktop Masters", billing_email="billing@example.com")
    client = Client.create(business=business, name="Acme Dental", email="dana@acme.example")
    Contact.create(business=business, client=client, email="dana@acme.example", name="Dana")
    services.recurring.add(
        client.id,
        "Managed IT support",
        "monthly",
        date(2026, 1, 31),
        [LineInput("Support plan", 25_000, 1000, 825)],
        autobill_mode="off",
    )
    assert make_runner(services, rate=0).run(as_of=date(2026, 1, 31)).emailed == 1
    [mail] = smtp_server.messages()
    return BUTTON.search(mail.get_body(("html",)).get_content()).group(1)


def _fill_card(page, number: str) -> None:
    page.fill("input[placeholder=number]", number)
    page.fill("input[placeholder=exp_month]", "12")
    page.fill("input[placeholder=exp_year]", "34")
    page.fill("input[placeholder=cvc]", "123")
    page.fill("input[placeholder=postal_code]", "12345")


def _record_bodies(page, base: str) -> list[str]:
    bodies: list[str] = []
    page.on(
        "request",
        lambda req: (
            bodies.append(f"{req.url} {req.post_data or ''}") if req.url.startswith(base) else None
        ),
    )
    return bodies


def _no_card_number_anywhere(services, bodies: list[str], smtp_server) -> None:
    assert bodies and all(card_like_runs(body) == [] for body in bodies)
    assert card_like_runs(database_text(services.config)) == []
    for log in services.config.home.rglob("*.log"):
        assert card_like_runs(log.read_text(errors="replace")) == [], log
    for mail in smtp_server.messages():
        assert card_like_runs(mail.as_string()) == []


def test_view_invoice_from_the_email_then_pay_with_a_new_card(site, smtp_server, page):
    services, server = site
    url = _emailed_invoice(services, smtp_server)
    bodies = _record_bodies(page, server.url)
    page.goto(url)
    assert page.locator("h2").first.inner_text().startswith("Invoice INV-0001")
    assert "$270.63" in page.content() and "Support plan" in page.content()
    assert "ssh -t -p 2222 127.0.0.1 view " in page.locator("pre.command").inner_text()
    _fill_card(page, VISA)
    page.click("#pay")
    page.wait_for_selector("#done:not([hidden])")
    assert page.inner_text("#done").startswith("Paid $270.63 with Visa •••• 4242.")

    invoice = Invoice.get()
    assert invoice.status == "paid" and Payment.select().count() == 1
    [attempt] = PaymentAttempt.select()
    assert attempt.source == "web" and attempt.status == "succeeded"
    code = url.rsplit("/i/", 1)[1]
    desk = services.kiosk("127.0.0.1").open_code(code)
    assert desk is not None and desk.invoice(invoice.id).status == "paid"
    assert [card.label for card in services.cards.list(invoice.client_id)] == ["Visa •••• 4242"]
    services.payments.flush_receipts()
    subjects = [mail["Subject"] for mail in smtp_server.messages()]
    assert any("eceipt" in subject for subject in subjects), subjects

    page.reload()  # paid: the status, no pay button
    assert "PAID" in page.inner_text(".status") and page.locator("#pay").count() == 0
    _no_card_number_anywhere(services, bodies, smtp_server)


def test_a_3d_secure_card_completes_on_the_page(site, smtp_server, page):
    services, server = site
    url = _emailed_invoice(services, smtp_server)
    bodies = _record_bodies(page, server.url)
    page.goto(url)
    _fill_card(page, THREE_DS)
    page.click("#pay")
    done = page.locator("#done:not([hidden])")
    for _ in range(2):  # localstripe asks once for the card's setup, once for the payment
        button = page.locator("text=Complete authentication")
        button.or_(done).first.wait_for()
        if done.count():
            break
        button.click()
    done.wait_for()
    assert page.inner_text("#done").startswith("Paid $270.63 with Visa •••• 3184.")
    assert Invoice.get().status == "paid" and Payment.select().count() == 1
    assert PaymentAttempt.get().status == "succeeded"
    _no_card_number_anywhere(services, bodies, smtp_server)
