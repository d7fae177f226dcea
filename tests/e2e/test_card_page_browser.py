"""End to end: the kiosk's "Add a card" → the link → headless Chromium types the card on the
hosted card page (localstripe's own Stripe.js) → the kiosk shows the card and offers to pay.

Debian's /usr/bin/chromium through Playwright (never `playwright install`); the web server is
the real aiohttp app with one extra middleware that records every request paydesk received,
so the test can show no card number ever reached paydesk.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from models import CardLink, Client, db, utcnow
from screens.kiosk.card_link import CardLinkView
from screens.kiosk.confirm import ConfirmDialog
from services.config import Config, StripeSettings
from services.container import build_services
from services.demo import seed_demo
from tests.fixtures.card_page import VISA, wait_for_text
from tests.fixtures.kiosk import DEMO_EMAIL, TODAY, drive, screen_text, settle, signed_in_at
from tests.fixtures.payments import card_like_runs, database_text
from tests.fixtures.ports import free_port
from tui.kiosk_app import make_kiosk_app
from web.app import make_app

CHROMIUM = Path("/usr/bin/chromium")
DECLINED = "4000000000000002"
# Playwright adds --headless itself (headless=True); with it twice screenshots hang.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


class RecordedWeb:
    """The real app on a free port, in its own thread and loop, recording each request."""

    def __init__(self, services, port: int) -> None:
        self.requests: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = port
        self.runner = asyncio.run_coroutine_threadsafe(self._start(services), self.loop).result(30)

    async def _start(self, services) -> web.AppRunner:
        app = make_app(services)

        @web.middleware
        async def record(request: web.Request, handler):
            body = await request.read()
            self.requests.append(f"{request.method} {request.path_qs}\n{dict(request.headers)}")
            self.requests.append(body.decode("latin-1"))
            return await handler(request)

        app.middlewares.insert(0, record)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def card_site(tmp_path: Path, sandbox_url: str):
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    config = Config(
        home=home,
        database_url=f"sqlite:///{tmp_path}/paydesk.db",
        public_url=f"http://127.0.0.1:{port}",
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )
    services = build_services(config)
    seed_demo(services, today=TODAY)
    site = RecordedWeb(services, port)
    yield services, site
    site.stop()
    db.close()


async def _fill_card(page, number: str = VISA) -> None:
    await page.fill("input[placeholder=number]", number)
    await page.fill("input[placeholder=exp_month]", "12")
    await page.fill("input[placeholder=exp_year]", "34")
    await page.fill("input[placeholder=cvc]", "123")
    await page.fill("input[placeholder=postal_code]", "12345")


def test_a_card_typed_in_chromium_shows_up_in_the_kiosk(card_site, sandbox_url, caplog):
    from playwright.async_api import async_playwright

    services, site = card_site
    caplog.set_level(logging.DEBUG)
    client_id = Client.get(Client.email == DEMO_EMAIL).id
    expired = services.card_links.create(client_id)
    CardLink.update(expires_at=utcnow() - timedelta(minutes=1)).where(
        CardLink.id == expired.id
    ).execute()

    async def script(pilot):
        await signed_in_at("dashboard")(pilot)
        await pilot.click("#add-card")
        await wait_for_text(pilot, "Waiting for your card")
        url = pilot.app.screen.query_one(CardLinkView).link.url
        assert url in screen_text(pilot.app)
        seen: dict = {"offer": ""}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            console: list[str] = []
            page.on("console", lambda msg: console.append(msg.text))
            first = await page.goto(url)
            seen["status"] = first.status
            seen["csp"] = first.headers["content-security-policy"]
            await page.wait_for_selector("input[placeholder=number]")
            # declined first: the sandbox cancels the SetupIntent, the page renews its secret
            await _fill_card(page, DECLINED)
            await page.click("#save")
            await page.wait_for_selector("#message.error", timeout=15_000)
            await page.wait_for_selector("#save:not([disabled])", timeout=15_000)
            seen["declined"] = await page.inner_text("#message")
            await _fill_card(page)
            await page.click("#save")
            await page.wait_for_selector("#done:not([hidden])", timeout=15_000)
            seen["done"] = await page.inner_text("#done")

            saved = await wait_for_text(pilot, "Card saved: Visa •••• 4242", seconds=5)
            await pilot.press("enter")
            await settle(pilot)
            offer = pilot.app.screen
            seen["offer"] = (
                str(offer.query_one("#yes").label) if isinstance(offer, ConfirmDialog) else ""
            )

            again = await page.goto(url)
            seen["again"] = (again.status, await page.inner_text("main"))
            old = await page.goto(expired.url)
            seen["expired"] = (old.status, await page.inner_text("main"))
            seen["console"] = console
            await browser.close()
        return saved, seen

    saved, seen = drive(make_kiosk_app(services), script, size=(100, 30))

    assert seen["status"] == 200
    assert f"script-src 'self' {sandbox_url};" in seen["csp"] and "unsafe-inline" not in seen["csp"]
    assert not [m for m in seen["console"] if "Content Security Policy" in m]
    assert "try again" in seen["declined"]
    assert seen["done"] == "Card saved: Visa •••• 4242"
    assert "Card saved: Visa •••• 4242" in saved and "You owe" in saved
    assert seen["offer"].startswith("Pay ") and seen["offer"].endswith(" now")
    assert seen["again"][0] == 410 and "This card link was already used." in seen["again"][1]
    assert seen["expired"][0] == 410 and "This card link has expired." in seen["expired"][1]

    # Not one card number reached paydesk: its requests, database, logs or outbox.
    assert any(r.startswith("POST /card/") for r in site.requests)
    assert card_like_runs("\n".join(site.requests)) == []
    assert card_like_runs(database_text(services.config)) == []
    assert card_like_runs("\n".join(r.getMessage() for r in caplog.records)) == []
    outbox = services.config.outbox
    mail = [p.read_bytes().decode("latin-1") for p in outbox.rglob("*") if p.is_file()]
    assert card_like_runs("\n".join(mail)) == []
    logs = services.config.home / "logs"
    files = [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()]
    assert card_like_runs("\n".join(files)) == []
