"""The one way paydesk reaches Stripe: the official SDK's StripeClient.

With `STRIPE_API_KEY` it talks to Stripe; without, to this data dir's localstripe sandbox
(started on demand) through StripeClient's `base_addresses` — the same code path either way.
A sandbox URL can be given instead (`PAYDESK_SANDBOX_URL` or `sandbox_url` in paydesk.toml),
which the tests use to share one sandbox between many data dirs.
"""

from __future__ import annotations

import os
import threading
import time

import stripe

from services.config import Config
from services.sandbox import ensure_sandbox

SANDBOX_KEY = "sk_test_sandbox"
# The SDK retries connection errors and 409/5xx answers with the same idempotency key.
# A retried create or confirm cannot charge twice: confirm only moves an intent out of
# requires_confirmation once, and the ledger (services/payments.py) stores the intent id.
MAX_NETWORK_RETRIES = 2


def sandbox_url(config: Config) -> str:
    """The sandbox this configuration uses, started if needed."""
    url = config.extra.get("sandbox_url") or os.environ.get("PAYDESK_SANDBOX_URL")
    if url:
        return str(url).rstrip("/")
    return ensure_sandbox(config.home).url


def is_live(config: Config) -> bool:
    key = config.stripe_api_key or ""
    return key.startswith(("sk_live", "rk_live"))


def stripe_client(config: Config) -> stripe.StripeClient:
    """A StripeClient for this configuration: real Stripe with a key, else the sandbox."""
    if config.stripe_api_key:
        return stripe.StripeClient(config.stripe_api_key, max_network_retries=MAX_NETWORK_RETRIES)
    url = sandbox_url(config)
    return stripe.StripeClient(
        SANDBOX_KEY,
        base_addresses={"api": url, "files": url, "connect": url, "meter_events": url},
        max_network_retries=MAX_NETWORK_RETRIES,
    )


class LazyStripeClient:
    """A StripeClient built on first use, so building services never starts the sandbox.

    In sandbox mode the sandbox is looked up again every REVALIDATE seconds, so a
    long-running kiosk follows a sandbox that was stopped and started again.
    """

    REVALIDATE = 10.0

    def __init__(self, config: Config) -> None:
        self._config = config
        self._client: stripe.StripeClient | None = None
        self._url: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def client(self) -> stripe.StripeClient:
        with self._lock:
            stale = time.monotonic() - self._checked > self.REVALIDATE
            if self._client is None or (self._config.sandbox and stale):
                url = None if self._config.stripe_api_key else sandbox_url(self._config)
                if self._client is None or url != self._url:
                    self._client = stripe_client(self._config)
                    self._url = url
                self._checked = time.monotonic()
            return self._client

    def __getattr__(self, name: str):
        return getattr(self.client, name)


def safe_error(exc: stripe.StripeError) -> str:
    """An error to store or show: Stripe's user message, never a key or a raw body."""
    return exc.user_message or type(exc).__name__


def refusal(exc: stripe.StripeError) -> str:
    return exc.user_message or "Stripe refused the request."
