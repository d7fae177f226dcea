"""The settings the console stores over their defaults, and what the services read.

A stored value overrides the default that paydesk.toml or the environment gives (or the
code's, where neither has one); deleting the row gives the default back. The values are
install-wide, as the environment variables they stand in for. Each reader runs one small
query, so a change is seen by the next run, email, kiosk sign-in or console screen without a
restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from models import StoredSetting, db, utcnow
from services.config import Config
from services.settings.store_sql import stored_rows

STORED = ("autobill_mode", "tax_rates", "retry_days", "reminder_days", "idle_timeout",
          "ssh_host", "ssh_port")  # fmt: skip
DEFAULT_AUTOBILL_MODE = "optout"  # as the seed's clients were told: on unless turned off


@dataclass(frozen=True)
class Effective:
    """The values in force: stored, else the configuration's (env, paydesk.toml, code)."""

    autobill_mode: str
    tax_rates: tuple[tuple[str, int], ...]  # (name, basis points), in the owner's order
    retry_days: tuple[int, ...]
    reminder_days: tuple[int, ...]
    idle_timeout: float  # seconds: the kiosk's return to Login
    ssh_host: str  # the host and port emails (and invitations) name
    ssh_port: int
    stored: frozenset[str]  # which of them are stored (the rest are defaults)


def stored_values() -> dict[str, Any]:
    """Every stored setting, as its JSON value."""
    return {key: json.loads(value) for key, value in stored_rows() if key in STORED}


def default_autobill_mode() -> str:
    """The mode a new recurring invoice gets when none is chosen."""
    row = StoredSetting.get_or_none(StoredSetting.key == "autobill_mode")
    return str(json.loads(row.value)) if row else DEFAULT_AUTOBILL_MODE


def defaults(config: Config) -> Effective:
    """The values with nothing stored."""
    return Effective(
        autobill_mode=DEFAULT_AUTOBILL_MODE,
        tax_rates=(),
        retry_days=tuple(config.run.retry_days),
        reminder_days=tuple(config.run.reminder_days),
        idle_timeout=config.idle_timeout,
        ssh_host=config.ssh_host,
        ssh_port=config.ssh_port,
        stored=frozenset(),
    )


def effective(config: Config) -> Effective:
    """The values in force now (one query)."""
    values = stored_values()
    if "tax_rates" in values:
        values["tax_rates"] = tuple((str(n), int(bp)) for n, bp in values["tax_rates"])
    for key in ("retry_days", "reminder_days"):
        if key in values:
            values[key] = tuple(int(d) for d in values[key])
    return replace(defaults(config), **values, stored=frozenset(values))


def applied(config: Config) -> Config:
    """`config` with the stored values in place of its own (for the run and the emails)."""
    now = effective(config)
    run = replace(config.run, retry_days=now.retry_days, reminder_days=now.reminder_days)
    return replace(
        config, ssh_host=now.ssh_host, ssh_port=now.ssh_port, idle_timeout=now.idle_timeout,
        run=run,
    )  # fmt: skip


def store(changes: dict[str, Any]) -> None:
    """Store these values (in the caller's transaction); a value equal to its default is
    stored too, so a later change of the environment does not move it."""
    for key, value in changes.items():
        assert key in STORED, key
        text = json.dumps(value)
        StoredSetting.insert(key=key, value=text, updated_at=utcnow()).on_conflict(
            conflict_target=[StoredSetting.key],
            update={StoredSetting.value: text, StoredSetting.updated_at: utcnow()},
        ).execute()


def forget(keys: list[str]) -> None:
    """Back to the defaults for these keys."""
    with db.atomic():
        StoredSetting.delete().where(StoredSetting.key.in_(keys)).execute()
