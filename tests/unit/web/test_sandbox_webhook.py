"""`paydesk sandbox`, started as the owner starts it, registers PAYDESK_PUBLIC_URL's webhook
endpoint with its localstripe: an event the sandbox makes reaches the web side and is applied
(issue 12; `serve-web`'s own registration is tested in test_webhooks_payments.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from models import Business, Client, Payment, PaymentAttempt, WebhookEvent, db
from services.config import Config, StripeSettings
from services.container import build_services
from tests.fixtures.payments import Shop
from tests.fixtures.ports import free_port
from tests.fixtures.web import start_web, stop_web

AUTH = {"Authorization": "Bearer sk_test_sandbox"}


def test_paydesk_sandbox_registers_the_public_urls_webhook_and_its_events_are_applied(
    home: Path, sqlite_url: str
) -> None:
    sandbox_port, web_port = free_port(), free_port()
    env = {**os.environ, "PAYDESK_HOME": str(home), "PAYDESK_DATABASE_URL": sqlite_url,
           "PAYDESK_PUBLIC_URL": f"http://127.0.0.1:{web_port}"}  # fmt: skip
    for name in ("PAYDESK_SANDBOX_URL", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)
    paydesk = Path(sys.executable).with_name("paydesk")
    sandbox = subprocess.Popen(
        [str(paydesk), "sandbox", "--port", str(sandbox_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    services = None
    try:
        assert sandbox.stdout is not None
        said = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "webhooks go to" not in said:
            said += sandbox.stdout.readline()
        assert f"webhooks go to http://127.0.0.1:{web_port}/webhooks/stripe" in said, said

        url = f"http://127.0.0.1:{sandbox_port}"
        config = Config(home=home, database_url=sqlite_url, stripe=StripeSettings(sandbox_url=url))
        services = build_services(config)
        server, thread = start_web(services, web_port)
        try:
            business = Business.create(name="Desktop Masters", billing_email="b@example.com")
            client = Client.create(business=business, name="Acme Dental", email="c@example.com")
            shop = Shop(services, business.id, client.id)
            card = services.cards.add_test_card(client.id, "3ds")
            invoice = shop.invoice(4_200)
            result = services.payments.pay(client.id, [invoice.id], card.id)
            assert result.status == "requires_action"
            intent_id = PaymentAttempt.get().stripe_intent_id
            # the client completes 3-D Secure at the sandbox, outside paydesk
            secret = requests.get(
                f"{url}/v1/payment_intents/{intent_id}", headers=AUTH, timeout=10
            ).json()["client_secret"]
            done = requests.post(
                f"{url}/v1/payment_intents/{intent_id}/_authenticate",
                data={"client_secret": secret, "success": "true"},
                headers=AUTH,
                timeout=10,
            )
            assert done.status_code == 200, done.text
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not Payment.select().exists():
                time.sleep(0.1)
            assert services.invoices.get(invoice.id).status == "paid"
            assert (
                WebhookEvent.select()
                .where(WebhookEvent.type == "payment_intent.succeeded")
                .exists()
            )
        finally:
            stop_web(server, thread)
    finally:
        sandbox.send_signal(signal.SIGINT)  # Ctrl-C: it stops its localstripe too
        sandbox.wait(20)
        if services is not None:
            services.payments.flush_receipts()
        db.close()
