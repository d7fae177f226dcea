"""Kiosk UI fixtures: a real SQLite file, the real localstripe sandbox, the Maildir outbox.

The clock is frozen (time-machine) at FROZEN so dates on screen are the same every run; the
cursor does not blink; tests await workers instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from textual.widgets import Input

from models import db
from services.config import Config, StripeSettings
from services.container import build_services
from services.demo import seed_demo
from tests.fixtures.database import TEST_ACCOUNTS
from tests.fixtures.kiosk import FROZEN, TODAY


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def kiosk_config(tmp_path: Path, sandbox_url: str) -> Config:  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    return Config(
        home=home,
        database_url=f"sqlite:///{tmp_path}/paydesk.db",
        idle_timeout=600.0,
        accounts=TEST_ACCOUNTS,
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )


@pytest.fixture
def services(kiosk_config: Config, frozen_clock: None):
    """Services on a fresh database, with the README's demo data seeded as of TODAY."""
    services = build_services(kiosk_config)
    seed_demo(services, today=TODAY)
    yield services
    db.close()


@pytest.fixture
def empty_services(kiosk_config: Config, frozen_clock: None):
    yield build_services(kiosk_config)
    db.close()
