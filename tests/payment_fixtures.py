"""Fixtures for the payment tests: one real localstripe per xdist worker, reset per test.

Imported by tests/unit/conftest.py and tests/reliability/conftest.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
import stripe

from models import Business, Client, db
from services.config import Config, StripeSettings
from services.container import Services, build_services
from services.invoices.invoices import LineInput
from services.stripe_client.client import SANDBOX_KEY
from services.stripe_client.sandbox import ensure_sandbox, stop_sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sandbox_session_url(tmp_path_factory: pytest.TempPathFactory):
    """A real localstripe process for this worker (started the way paydesk starts it)."""
    home = tmp_path_factory.mktemp("sandbox-home")
    info = ensure_sandbox(home)
    yield info.url
    stop_sandbox(home)


@pytest.fixture
def sandbox_url(sandbox_session_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The worker's sandbox, emptied for this test; subprocesses find it by environment."""
    requests.delete(f"{sandbox_session_url}/_config/data", timeout=10).raise_for_status()
    monkeypatch.setenv("PAYDESK_SANDBOX_URL", sandbox_session_url)
    return sandbox_session_url


@pytest.fixture
def pay_config(home: Path, db_url: str, sandbox_url: str) -> Config:
    return Config(home=home, database_url=db_url, stripe=StripeSettings(sandbox_url=sandbox_url))


@pytest.fixture
def pay_services(pay_config: Config):
    built = build_services(pay_config)
    yield built
    built.payments.flush_receipts()
    db.close()


@pytest.fixture
def stripe_api(sandbox_url: str) -> stripe.StripeClient:
    """A bare StripeClient on the sandbox, for looking at what Stripe holds."""
    url = sandbox_url
    return stripe.StripeClient(SANDBOX_KEY, base_addresses={"api": url}, max_network_retries=0)


@dataclass
class Shop:
    services: Services
    business_id: int
    client_id: int

    def invoice(self, amount: int = 12_345, client_id: int | None = None, status: str = "sent"):
        return self.services.invoices.create(
            client_id or self.client_id,
            [LineInput("IT support", amount)],
            issue_date=date(2026, 1, 5),
            status=status,
        )

    def other_client(self) -> int:
        return Client.create(business=self.business_id, name="Other", email="o@example.com").id


@pytest.fixture
def shop(pay_services: Services) -> Shop:
    business = Business.create(name="Desktop Masters", billing_email="billing@example.com")
    client = Client.create(business=business, name="Acme Dental", email="client@example.com")
    return Shop(pay_services, business.id, client.id)


def intents(api: stripe.StripeClient) -> list:
    """Every PaymentIntent the sandbox holds."""
    return list(api.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter())


def run_cli(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        **kwargs,
    )


def cli_env(config: Config, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PAYDESK_HOME=str(config.home),
        PAYDESK_DATABASE_URL=config.database_url,
        PAYDESK_SANDBOX_URL=str(config.stripe.sandbox_url),
    )
    env.pop("STRIPE_API_KEY", None)
    env.update(extra)
    return env


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Email Message-IDs (`<time.pid.RANDOM@domain>`, stored in the email log) carry a random
# 64-bit decimal number: about one in ten passes Luhn. They are not card numbers; skip them.
MESSAGE_ID = re.compile(r"<[0-9]+\.[0-9]+\.[0-9]+@[^<>\s]+>")


def card_like_runs(text: str) -> list[str]:
    """Every maximal 13–19 digit run that passes the Luhn check (a possible card number)."""
    text = MESSAGE_ID.sub("<message-id>", text)
    runs = re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text)
    return [run for run in runs if _luhn(run)]


def database_text(config: Config) -> str:
    """The whole database as text: the SQLite files' bytes, or every PostgreSQL row."""
    if config.database_url.startswith("sqlite"):
        path = Path(config.database_url.removeprefix("sqlite:///"))
        parts = []
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{path}{suffix}")
            if file.exists():
                parts.append(file.read_bytes().decode("latin-1"))
        return "\n".join(parts)
    tables = [
        row[0]
        for row in db.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    ]
    parts = []
    for table in tables:
        for (row,) in db.execute_sql(f'SELECT row_to_json(t)::text FROM "{table}" t').fetchall():
            parts.append(row)
    return "\n".join(parts)
