"""3-D Secure from the kiosk, end to end: the kiosk (pilot) pays with the 3-D Secure card,
the link is taken from its screen, headless Chromium opens it and completes authentication
in localstripe's modal, and the kiosk shows "Payment received" by itself, charged once."""

from __future__ import annotations

import asyncio
import queue
import re
import threading
from dataclasses import replace
from datetime import date

import pytest

from models import Payment, PaymentAttempt, db
from services.container import build_services
from services.demo import seed_demo
from tests.fixtures.card_page import wait_for_text
from tests.fixtures.kiosk import choose_pay_now, screen_text, settle, signed_in_at
from tests.fixtures.ports import free_port
from tests.fixtures.web import start_web, stop_web
from tui.kiosk_app import make_kiosk_app

LINK = re.compile(r"http://127\.0\.0\.1:\d+/i/[0-9a-z-]+")


@pytest.fixture
def site(pay_config):
    port = free_port()
    config = replace(pay_config, public_url=f"http://127.0.0.1:{port}")
    services = build_services(config)
    seed_demo(services, today=date.today())
    server, thread = start_web(services, port)
    yield services, server
    stop_web(server, thread)
    services.payments.flush_receipts()
    db.close()


def _kiosk(services, links: queue.Queue, shown: queue.Queue) -> None:
    """The kiosk in its own thread (Playwright's sync API will not run inside an event
    loop): pay the oldest owed invoice with the 3-D Secure card, hand over the link read
    from the screen, then wait for the receipt to show by itself."""

    async def main() -> None:
        async with make_kiosk_app(services).run_test(size=(100, 30)) as pilot:
            try:
                await settle(pilot)
                await signed_in_at("invoices", "enter")(pilot)
                await choose_pay_now(pilot, "#pay-now", 1)  # the 3-D Secure card
                await pilot.click("#pay")
                await settle(pilot)
                text = await wait_for_text(pilot, "Waiting for your bank")
                links.put(LINK.search(text).group(0))
                shown.put(await wait_for_text(pilot, "Payment received", seconds=60))
                await pilot.pause(1.2)
                shown.put(screen_text(pilot.app))
            except BaseException as exc:  # the main thread reports it
                links.put(exc)
                shown.put(exc)

    asyncio.run(main())


def test_the_kiosk_3d_secure_link_completes_in_the_browser(site, page):
    services, server = site
    client_id = services.invoices.get(services.invoices.find_by_number("INV-0003")).client_id
    services.cards.add_test_card(client_id, "3ds")  # Visa 4000 0027 6000 3184
    before = Payment.select().count()
    links: queue.Queue = queue.Queue()
    shown: queue.Queue = queue.Queue()
    kiosk = threading.Thread(target=_kiosk, args=(services, links, shown), daemon=True)
    kiosk.start()
    url = links.get(timeout=90)
    assert isinstance(url, str), url
    assert url.startswith(server.url + "/i/")

    page.goto(url)
    assert "Your bank wants to confirm a payment" in page.content()
    page.click("#authenticate")  # "Complete the payment"
    page.click("text=Complete authentication")  # localstripe's 3-D Secure modal
    page.wait_for_selector("#done:not([hidden])")
    assert page.inner_text("#done").startswith("Paid $288.24 with Visa •••• 3184.")

    receipt = shown.get(timeout=90)
    assert isinstance(receipt, str), receipt
    after = shown.get(timeout=30)
    kiosk.join(30)
    assert "Payment received — thank you" in receipt and "$288.24" in receipt
    assert "Visa •••• 3184" in after
    invoice = services.invoices.get(services.invoices.find_by_number("INV-0003"))
    assert invoice.status == "paid"
    assert Payment.select().count() == before + 1  # charged once
    attempt = PaymentAttempt.select().order_by(PaymentAttempt.id.desc()).get()
    assert attempt.status == "succeeded" and attempt.source == "kiosk"
