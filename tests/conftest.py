"""Shared fixtures: a fresh real database per test (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playhouse.db_url import connect

from models import db, init_database
from services.config import Config

PG_URL = os.environ.get("PAYDESK_TEST_PG_URL")


def pytest_configure(config: pytest.Config) -> None:
    key = os.environ.get("STRIPE_API_KEY", "")
    if key.startswith(("sk_live", "rk_live")):
        pytest.exit("a live Stripe key is set: refusing to run the tests", returncode=3)
    # Tests never use a Stripe key: they run against the sandbox.
    os.environ.pop("STRIPE_API_KEY", None)
    os.environ.pop("STRIPE_WEBHOOK_SECRET", None)


def _worker_pg_url(worker_id: str) -> str:
    """One PostgreSQL database per xdist worker, created on first use."""
    assert PG_URL
    base, _, name = PG_URL.rpartition("/")
    worker_db = f"{name}_{worker_id}".replace("-", "_")
    admin = connect(PG_URL)
    with admin.connection_context():
        exists = admin.execute_sql(
            "SELECT 1 FROM pg_database WHERE datname = %s", (worker_db,)
        ).fetchone()
        if not exists:
            admin.execute_sql(f'CREATE DATABASE "{worker_db}"')
    return f"{base}/{worker_db}"


def _fresh_pg(url: str) -> None:
    raw = connect(url)
    with raw.connection_context():
        raw.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> str:
    """A fresh, empty database URL on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/paydesk.db"
    url = _worker_pg_url(worker_id)
    _fresh_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite URL, for tests whose subject is not the database (screens)."""
    return f"sqlite:///{tmp_path}/paydesk.db"


@pytest.fixture
def database(db_url: str):
    """The migrated database, open in this thread; closed after the test."""
    database = init_database(db_url)
    yield database
    db.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def config(home: Path, db_url: str) -> Config:
    """Configuration for a test: its own data dir and database, sandbox Stripe, outbox mail."""
    return Config(home=home, database_url=db_url)
