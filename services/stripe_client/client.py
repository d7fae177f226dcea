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
from functools import lru_cache
from typing import TYPE_CHECKING

from services.config import Config
from services.money import exponent
from services.stripe_client.sandbox import ensure_sandbox

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

SANDBOX_KEY = "sk_test_sandbox"
# The SDK retries connection errors and 409/5xx answers with the same idempotency key.
# A retried create or confirm cannot charge twice: confirm only moves an intent out of
# requires_confirmation once, and the ledger (services/payments/payments.py) stores the intent id.
MAX_NETWORK_RETRIES = 2


def sandbox_url(config: Config) -> str:
    """The sandbox this configuration uses, started if needed."""
    url = config.stripe.sandbox_url or os.environ.get("PAYDESK_SANDBOX_URL")
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
        client = self._current()
        if client is not None:
            return client  # no lock on the paying path
        with self._lock:
            client = self._current()
            if client is None:
                url = None if self._config.stripe_api_key else sandbox_url(self._config)
                client = self._client
                if client is None or url != self._url:
                    client = self._client = stripe_client(self._config)
                    self._url = url
                self._checked = time.monotonic()
            return client

    def _current(self) -> stripe.StripeClient | None:
        """The client, if built and (in sandbox mode) its sandbox looked up within
        REVALIDATE seconds; None when it must be built or looked up again."""
        if self._client is None:
            return None
        if self._config.sandbox and time.monotonic() - self._checked > self.REVALIDATE:
            return None
        return self._client

    def __getattr__(self, name: str):
        return getattr(self.client, name)


# Stripe's API counts every currency in hundredths except these (docs.stripe.com/currencies).
# CLDR, which `services.money.exponent` follows, gives some currencies no minor unit that
# Stripe still counts in hundredths (ISK, ALL, RSD, LAK, …): paydesk's amount is converted.
STRIPE_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
STRIPE_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


@lru_cache(maxsize=512)
def _stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    return 3 if code in STRIPE_THREE_DECIMAL else 2


def to_stripe_amount(amount: int, currency: str) -> int:
    """paydesk's minor units -> the integer Stripe's API expects for this currency."""
    shift = _stripe_exponent(currency) - exponent(currency)
    if shift >= 0:
        return amount * 10**shift
    factor = 10**-shift
    if amount % factor:
        raise ValueError(f"{amount} {currency} cannot be expressed in Stripe's unit")
    return amount // factor


def from_stripe_amount(amount: int, currency: str) -> int:
    """An amount from Stripe's API -> paydesk's minor units (inverse of to_stripe_amount)."""
    shift = _stripe_exponent(currency) - exponent(currency)
    if shift <= 0:
        return amount * 10**-shift
    factor = 10**shift
    if amount % factor:
        raise ValueError(f"Stripe amount {amount} {currency} has a fraction paydesk cannot hold")
    return amount // factor


def safe_error(exc: stripe.StripeError) -> str:
    """An error to store or show: Stripe's user message, never a key or a raw body."""
    return exc.user_message or type(exc).__name__


def refusal(exc: stripe.StripeError) -> str:
    return exc.user_message or "Stripe refused the request."
