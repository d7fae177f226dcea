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
    "tests.fixtures.web",
    "tests.fixtures.browser",
]


def pytest_configure(config: pytest.Config) -> None:
    key = os.environ.get("STRIPE_API_KEY", "")
    if key.startswith(("sk_live", "rk_live")):
        pytest.exit("a live Stripe key is set: refusing to run the tests", returncode=3)
    # Files the tests' in-process services create are private, as under the CLI, which adds
    # umask 077 for its run (services/data_dir.py); else the next CLI call warns about them.
    os.umask(os.umask(0) | 0o077)
    # Tests never use a Stripe key: they run against the sandbox.
    os.environ.pop("STRIPE_API_KEY", None)
    os.environ.pop("STRIPE_WEBHOOK_SECRET", None)
