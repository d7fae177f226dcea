"""The web skeleton: a real server on a free port, a real HTTP client."""

from __future__ import annotations

import logging

import pytest

from tests.fixtures.web import WebServer, http
from web.headers import DEFAULT_CSP


def test_healthz_answers_200_when_database_and_stripe_answer(web_server: WebServer) -> None:
    reply = http(web_server, "GET", "/healthz")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "database": "ok", "stripe": "ok"}


def test_healthz_answers_503_naming_stripe_when_it_does_not_answer(
    pay_services, monkeypatch: pytest.MonkeyPatch, sandbox_url: str
) -> None:
    from services.stripe_client.client import LazyStripeClient
    from tests.fixtures.ports import free_port
    from tests.fixtures.web import start_web, stop_web

    # The same services, but Stripe is a port where nothing listens.
    dead = pay_services.config.__class__(
        home=pay_services.config.home,
        database_url=pay_services.config.database_url,
        stripe=pay_services.config.stripe.__class__(sandbox_url=f"http://127.0.0.1:{free_port()}"),
    )
    monkeypatch.setattr(pay_services.payments, "stripe", LazyStripeClient(dead))
    server, thread = start_web(pay_services)
    try:
        reply = http(server, "GET", "/healthz")
    finally:
        stop_web(server, thread)
    assert reply.status == 503
    body = reply.json()
    assert body["database"] == "ok" and body["stripe"] != "ok"
    assert body["status"] == "failing"


def test_every_response_has_the_security_headers_and_no_server_version(
    web_server: WebServer,
) -> None:
    for path in ("/healthz", "/no-such-page"):
        reply = http(web_server, "GET", path)
        assert reply.headers["Content-Security-Policy"] == DEFAULT_CSP
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["Server"] == "paydesk"
        assert "aiohttp" not in str(reply.headers) and "Python" not in str(reply.headers)


def test_the_request_log_has_no_query_string_and_no_long_path_part(
    web_server: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("paydesk.web")
    logger.propagate = True
    token = "tok_" + "a" * 40
    with caplog.at_level(logging.INFO, logger="paydesk.web"):
        http(web_server, "GET", f"/healthz?token={token}")
        http(web_server, "GET", f"/card/{token}/x")
        http(web_server, "POST", "/healthz", data=b"secret-body-4242424242424242")
    text = caplog.text
    assert "GET /healthz 200" in text
    assert token not in text and "aaaaaaaaaaaaaaaa" not in text
    assert "secret-body" not in text and "token=" not in text


def test_paydesk_serve_web_serves_until_sigterm(pay_config, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import requests

    from tests.fixtures.ports import free_port

    port = free_port()
    env = {
        **os.environ,
        "PAYDESK_HOME": str(pay_config.home),
        "PAYDESK_DATABASE_URL": pay_config.database_url,
    }
    paydesk = Path(sys.executable).with_name("paydesk")
    cmd = [str(paydesk), "serve-web", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        reply = None
        while time.monotonic() < deadline and reply is None:
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except requests.ConnectionError:
                time.sleep(0.1)
        assert reply is not None and reply.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert b"listening on http://127.0.0.1" in out
    log = (pay_config.home / "logs" / "web.log").read_text()
    assert "GET /healthz 200" in log


def test_paydesk_serve_web_refuses_a_bad_port() -> None:
    from tui.cli import main

    assert main(["serve-web", "--port", "70000"]) == 1
