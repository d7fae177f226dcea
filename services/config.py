"""Where paydesk keeps its data and which real components it talks to."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from services.errors import PaydeskError


class ConfigError(PaydeskError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Config:
    """Settings read from the environment, then `paydesk.toml` in the data dir."""

    home: Path
    database_url: str
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    smtp_url: str | None = None
    public_url: str = "http://127.0.0.1:8080"
    ssh_host: str = "127.0.0.1"
    idle_timeout: float = 600.0
    extra: dict = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """True when no Stripe key is set: paydesk runs its own localstripe."""
        return not self.stripe_api_key

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"


def _file_settings(home: Path) -> dict:
    path = home / "paydesk.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_config(environ: dict[str, str] | None = None) -> Config:
    """Build the configuration; the environment wins over the TOML file."""
    env = os.environ if environ is None else environ
    home = Path(env.get("PAYDESK_HOME") or platformdirs.user_data_dir("paydesk"))
    home.mkdir(parents=True, exist_ok=True)
    file = _file_settings(home)

    def pick(env_name: str, key: str, default=None):
        return env.get(env_name) or file.get(key) or default

    key = pick("STRIPE_API_KEY", "stripe_api_key")
    if key and not key.startswith(("sk_", "rk_")):
        raise ConfigError("STRIPE_API_KEY must be a secret key (sk_… or rk_…)")
    return Config(
        home=home,
        database_url=pick("PAYDESK_DATABASE_URL", "database_url", f"sqlite:///{home}/paydesk.db"),
        stripe_api_key=key,
        stripe_webhook_secret=pick("STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret"),
        smtp_url=pick("PAYDESK_SMTP_URL", "smtp_url"),
        public_url=pick("PAYDESK_PUBLIC_URL", "public_url", "http://127.0.0.1:8080"),
        ssh_host=pick("PAYDESK_SSH_HOST", "ssh_host", "127.0.0.1"),
        idle_timeout=float(pick("PAYDESK_IDLE_TIMEOUT", "idle_timeout", 600)),
        extra={k: v for k, v in file.items() if k not in _KNOWN},
    )


_KNOWN = {
    "stripe_api_key",
    "stripe_webhook_secret",
    "smtp_url",
    "public_url",
    "ssh_host",
    "database_url",
    "idle_timeout",
}
