"""Stripe webhooks for payments: verified, applied once, never backwards; a real sandbox
delivers to the running server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from models import Payment, PaymentAttempt, WebhookEvent
from services.config import Config, StripeSettings
from services.stripe_client.sandbox import register_webhook, sandbox_webhook_secret
from tests.fixtures.webhooks import (
    NEW_SECRET,
    OLD_SECRET,
    deliver,
    deliver_at_once,
    event_body,
    sign,
)

AUTH = {"Authorization": "Bearer sk_test_sandbox"}


@pytest.fixture
def pay_config(home: Path, db_url: str, sandbox_url: str) -> Config:
    """The test shop, with two webhook secrets configured (a rotation in progress)."""
    return Config(
        home=home,
        database_url=db_url,
        stripe_webhook_secret=f"{OLD_SECRET}, {NEW_SECRET}",
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )


def waiting_3ds_payment(shop):
    """An invoice paid with a 3-D Secure card: the attempt waits for the client."""
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "3ds")
    invoice = shop.invoice(4_200)
    result = svc.payments.pay(shop.client_id, [invoice.id], card.id)
    assert result.status == "requires_action"
    return invoice, PaymentAttempt.get().stripe_intent_id


def authenticate(sandbox_url: str, stripe_api, intent_id: str, success: bool = True) -> None:
    """The client completes (or fails) 3-D Secure at the sandbox, outside paydesk."""
    intent = stripe_api.v1.payment_intents.retrieve(intent_id)
    done = requests.post(
        f"{sandbox_url}/v1/payment_intents/{intent_id}/_authenticate",
        data={"client_secret": intent.client_secret, "success": "true" if success else "false"},
        headers=AUTH,
        timeout=10,
    )
    assert done.status_code == 200, done.text


def sandbox_event(sandbox_url: str, kind: str) -> bytes:
    """The newest event of this type the sandbox made, as it sends it."""
    found = requests.get(
        f"{sandbox_url}/v1/events", params={"type": kind}, headers=AUTH, timeout=10
    )
    data = found.json()["data"]
    assert data, f"the sandbox made no {kind} event"
    return json.dumps(data[0], indent=2, sort_keys=True).encode()


def test_a_real_sandbox_delivery_records_the_payment(
    shop, stripe_api, sandbox_url, web_server, pay_config
) -> None:
    secret = sandbox_webhook_secret(pay_config.home)
    register_webhook(sandbox_url, f"{web_server.url}/webhooks/stripe", secret, "paydesk-test")
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not Payment.select().exists():
        time.sleep(0.1)
    assert Payment.select().count() == 1
    assert PaymentAttempt.get().status == "succeeded"
    assert WebhookEvent.get().type == "payment_intent.succeeded"
    assert shop.services.invoices.get(invoice.id).status == "paid"


def test_a_real_event_delivered_five_times_at_once_is_applied_once(
    shop, stripe_api, sandbox_url, web_server
) -> None:
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id)
    body = sandbox_event(sandbox_url, "payment_intent.succeeded")
    replies = deliver_at_once(web_server, body, 5, NEW_SECRET)
    assert [r.status for r in replies] == [200] * 5
    statuses = sorted(r.json()["status"] for r in replies)
    assert statuses == ["applied"] + ["duplicate"] * 4
    assert Payment.select().count() == 1 and WebhookEvent.select().count() == 1
    assert shop.services.invoices.get(invoice.id).status == "paid"
    shop.services.payments.flush_receipts()
    receipts = [m for m in shop.services.mailer.outbox_messages() if "PAY-" in str(m["Subject"])]
    assert len(receipts) == 1


@pytest.mark.parametrize("how", ["tampered", "wrong secret", "301 seconds old", "unsigned"])
def test_a_bad_delivery_is_400_and_changes_nothing(
    how, shop, stripe_api, sandbox_url, web_server
) -> None:
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id)
    body = sandbox_event(sandbox_url, "payment_intent.succeeded")
    if how == "tampered":
        reply = deliver(
            web_server, body.replace(b"4200", b"4201", 1), header=sign(body, NEW_SECRET)
        )
    elif how == "wrong secret":
        reply = deliver(web_server, body, secret="whsec_someone_else")
    elif how == "301 seconds old":
        reply = deliver(web_server, body, header=sign(body, NEW_SECRET, int(time.time()) - 301))
    else:
        reply = deliver(web_server, body, header="")
    assert reply.status == 400
    assert not WebhookEvent.select().exists() and not Payment.select().exists()
    assert PaymentAttempt.get().status == "requires_action"
    assert shop.services.invoices.get(invoice.id).status == "sent"


def test_signed_but_not_an_event_is_400(web_server) -> None:
    assert deliver(web_server, b"not json at all").status == 400
    assert deliver(web_server, b'{"id": "evt_1"}').status == 400


def test_a_body_over_the_cap_is_413(web_server) -> None:
    body = b"x" * (65 * 1024)
    assert deliver(web_server, body).status == 413


def test_both_secrets_of_a_rotation_are_accepted(shop, stripe_api, sandbox_url, web_server):
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id)
    old = deliver(web_server, event_body("payment_intent.succeeded", {"id": intent_id}), OLD_SECRET)
    new = deliver(web_server, event_body("payment_intent.succeeded", {"id": intent_id}), NEW_SECRET)
    assert (old.status, new.status) == (200, 200)
    assert old.json()["status"] == new.json()["status"] == "applied"
    assert Payment.select().count() == 1 and WebhookEvent.select().count() == 2


def test_a_stale_failure_after_the_success_changes_nothing(
    shop, stripe_api, sandbox_url, web_server
) -> None:
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id)
    assert deliver(web_server, event_body("payment_intent.succeeded", {"id": intent_id})).ok
    stale = {"id": intent_id, "status": "requires_payment_method"}
    reply = deliver(web_server, event_body("payment_intent.payment_failed", stale))
    assert reply.status == 200
    assert PaymentAttempt.get().status == "succeeded" and Payment.select().count() == 1
    assert shop.services.invoices.get(invoice.id).status == "paid"


def test_payment_failed_fails_the_attempt(shop, stripe_api, sandbox_url, web_server) -> None:
    invoice, intent_id = waiting_3ds_payment(shop)
    authenticate(sandbox_url, stripe_api, intent_id, success=False)
    reply = deliver(web_server, event_body("payment_intent.payment_failed", {"id": intent_id}))
    assert reply.status == 200
    assert PaymentAttempt.get().status == "failed" and not Payment.select().exists()
    assert shop.services.invoices.get(invoice.id).status == "sent"


def test_requires_action_records_the_3ds_wait_of_an_unknown_attempt(shop, web_server) -> None:
    invoice, intent_id = waiting_3ds_payment(shop)
    PaymentAttempt.update(status="unknown").execute()  # its answer was lost (a crash)
    reply = deliver(web_server, event_body("payment_intent.requires_action", {"id": intent_id}))
    assert reply.status == 200
    assert PaymentAttempt.get().status == "requires_action"


def test_an_intent_awaiting_confirmation_is_never_canceled(shop, stripe_api, web_server) -> None:
    """The paying process stored the intent and is about to confirm it: an event (here a
    forged `succeeded` naming it) must not cancel it, as the reconciler's settle would."""
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    customer = shop.services.cards.ensure_customer(shop.client_id)
    intent = stripe_api.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "customer": customer,
                "payment_method": card.stripe_pm_id, "payment_method_types": ["card"]}
    )  # fmt: skip
    invoice = shop.invoice(500)
    from services.payments import ledger

    opened = ledger.open_attempt(shop.client_id, [invoice.id], card.id, "kiosk", False, "", "")
    assert ledger.set_submitted(opened.id, intent.id)
    reply = deliver(web_server, event_body("payment_intent.succeeded", {"id": intent.id}))
    assert reply.status == 200
    assert stripe_api.v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"
    assert PaymentAttempt.get().status == "submitted"


def test_unknown_types_and_other_intents_are_200_and_ignored(web_server) -> None:
    reply = deliver(web_server, event_body("customer.created", {"id": "cus_1"}))
    assert reply.status == 200 and reply.json()["status"] == "ignored"
    reply = deliver(web_server, event_body("payment_intent.succeeded", {"id": "pi_not_ours"}))
    assert reply.status == 200
    assert not Payment.select().exists()


def test_serve_web_in_sandbox_mode_receives_the_sandboxs_events(
    shop, stripe_api, sandbox_url, pay_config
) -> None:
    """The whole local loop: `paydesk serve-web` registers itself with the sandbox, the
    client finishes 3-D Secure at the sandbox, the server records the payment by itself."""
    import os
    import signal
    import subprocess
    import sys

    from tests.fixtures.ports import free_port

    port = free_port()
    env = {**os.environ, "PAYDESK_HOME": str(pay_config.home),
           "PAYDESK_DATABASE_URL": pay_config.database_url}  # fmt: skip
    env.pop("STRIPE_WEBHOOK_SECRET", None)
    paydesk = Path(sys.executable).with_name("paydesk")
    server = subprocess.Popen(
        [str(paydesk), "serve-web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        log = pay_config.home / "logs" / "web.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "delivers its webhooks" not in (
            log.read_text() if log.exists() else ""
        ):
            time.sleep(0.1)
        invoice, intent_id = waiting_3ds_payment(shop)
        authenticate(sandbox_url, stripe_api, intent_id)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not Payment.select().exists():
            time.sleep(0.1)
        assert shop.services.invoices.get(invoice.id).status == "paid"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
