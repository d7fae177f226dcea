"""Shared fixtures, registered once as plugins; a live Stripe key stops the run."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.payments",
    "tests.fixtures.smtp",
    "tests.fixtures.accounts",
    "tests.fixtures.ssh",
    "tests.fixtures.billing",
]


def pytest_configure(config: pytest.Config) -> None:
    key = os.environ.get("STRIPE_API_KEY", "")
    if key.startswith(("sk_live", "rk_live")):
        pytest.exit("a live Stripe key is set: refusing to run the tests", returncode=3)
    # Tests never use a Stripe key: they run against the sandbox.
    os.environ.pop("STRIPE_API_KEY", None)
    os.environ.pop("STRIPE_WEBHOOK_SECRET", None)
