"""Kiosk UI fixtures: a real SQLite file, the real localstripe sandbox, the Maildir outbox.

The clock is frozen (time-machine) at FROZEN so dates on screen are the same every run; the
cursor does not blink; tests await workers instead of sleeping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from textual.widgets import Input

from services.config import Config
from services.container import build_services
from services.demo import seed_demo
from services.sandbox import ensure_sandbox, stop_sandbox

FROZEN = datetime(2026, 3, 16, 15, 0, 0)
TODAY = FROZEN.date()


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One localstripe for the session (reuses PAYDESK_SANDBOX_URL when the suite has one)."""
    existing = os.environ.get("PAYDESK_SANDBOX_URL")
    if existing:
        yield existing
        return
    home = tmp_path_factory.mktemp("ui-sandbox")
    info = ensure_sandbox(home)
    try:
        yield info.url
    finally:
        stop_sandbox(home)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(FROZEN, tick=False):
        yield


def _with_recurring(services):
    # Until the container wires the recurring service, the kiosk tests add it themselves.
    if not hasattr(services, "recurring"):
        from services.recurring import RecurringService

        services.recurring = RecurringService(services.mailer)
    return services


@pytest.fixture
def kiosk_config(tmp_path: Path, sandbox_url: str) -> Config:
    home = tmp_path / "home"
    home.mkdir()
    return Config(
        home=home,
        database_url=f"sqlite:///{tmp_path}/paydesk.db",
        idle_timeout=600.0,
        extra={"sandbox_url": sandbox_url},
    )


@pytest.fixture
def services(kiosk_config: Config, frozen_clock: None):
    """Services on a fresh database, with the README's demo data seeded as of TODAY."""
    services = _with_recurring(build_services(kiosk_config))
    seed_demo(services, today=TODAY)
    return services


@pytest.fixture
def empty_services(kiosk_config: Config, frozen_clock: None):
    return _with_recurring(build_services(kiosk_config))


def today() -> date:
    return TODAY
