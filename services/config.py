"""Where paydesk keeps its data, which real components it talks to, and how it is tuned.

Every setting is a field of a frozen dataclass, with its default beside it: `Config` itself,
and one section per area (`config.run`, `config.mail`, `config.stripe`, `config.accounts`,
`config.ssh`). `load_config()` reads the environment, then `paydesk.toml` in the data dir
(the environment wins), and refuses a wrong value naming the key and what it expects.
README.md's configuration tables list the same keys and defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import Field, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from services import config_values as read
from services import data_dir
from services.errors import PaydeskError

T = TypeVar("T")
IDLE_TIMEOUT = 600.0  # seconds: the kiosk's return to Login, and the SSH session's unless set
SSH_PORT = 2222  # where `serve-ssh` listens and emails send clients, unless `ssh_port` says


class ConfigError(PaydeskError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def setting(
    default: T, reader: Callable[[object], Any], key: str = "", env: str = "", secret: bool = False
) -> T:
    """A field: its default, how a raw value is read (TOML value or environment text), its
    key in paydesk.toml (the field's name unless given), its environment variable, and
    whether a wrong value may be shown back (not for keys and passwords)."""
    metadata = {"read": reader, "key": key, "env": env, "secret": secret}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Argon2Cost:
    """argon2id cost parameters, as `[argon2]` in paydesk.toml gives them."""

    memory_cost: int  # KiB
    time_cost: int
    parallelism: int


def argon2_cost(raw: object) -> Argon2Cost:
    return Argon2Cost(*read.whole_numbers(raw, ("memory_cost", "time_cost", "parallelism")))


@dataclass(frozen=True)
class RunSettings:
    """How `paydesk run` paces its work: top-level keys of paydesk.toml."""

    # Days after the first soft decline to charge again.
    retry_days: tuple[int, ...] = setting((1, 3, 7), read.days)
    # Days after the due date to remind about an unpaid invoice without auto-billing.
    reminder_days: tuple[int, ...] = setting((3, 10), read.days)
    # Seconds before a payment left in flight is reconciled by the run.
    reconcile_min_age: float = setting(60.0, read.seconds)
    # Processes drawing invoice PDFs beside the pass; None: 1 with two or more cores, else 0.
    pdf_workers: int | None = setting(None, read.count)


@dataclass(frozen=True)
class MailSettings:
    """How mail is sent, beside `smtp_url`: top-level keys of paydesk.toml."""

    # A CA bundle (PEM file) to verify the SMTP server with, instead of the system's.
    smtp_cafile: str | None = setting(None, read.text)


@dataclass(frozen=True)
class StripeSettings:
    """How paydesk talks to Stripe, beside its keys: top-level keys of paydesk.toml."""

    # The most requests started in any one second; None: 20 (sandbox, test keys), 80 (live).
    rate: float | None = setting(None, read.per_second, key="stripe_rate")
    # A sandbox already running, instead of the one paydesk starts in its data dir.
    sandbox_url: str | None = setting(None, read.text, env="PAYDESK_SANDBOX_URL")


@dataclass(frozen=True)
class AccountSettings:
    """How sign-in secrets are kept: the `[argon2]` table of paydesk.toml."""

    # argon2id cost of new password hashes; None: services.accounts.passwords' default.
    argon2: Argon2Cost | None = setting(None, argon2_cost)


@dataclass(frozen=True)
class SSHSettings:
    """Tunables of the SSH server; `[ssh]` in paydesk.toml or PAYDESK_SSH_<NAME> set them."""

    login_timeout: float = setting(30.0, read.timeout)  # to finish the handshake and open
    idle_timeout: float = setting(IDLE_TIMEOUT, read.timeout)  # unset: Config.idle_timeout
    max_session: float = setting(4 * 3600.0, read.timeout)  # absolute cap on one session
    max_per_address: int = setting(10, read.positive_count)  # concurrent, from one address
    max_total: int = setting(200, read.positive_count)  # concurrent connections in total
    max_unauthenticated: int = setting(30, read.positive_count)  # still in the handshake
    connect_burst: int = setting(30, read.positive_count)  # new connections at once, per address…
    connect_rate: float = setting(1.0, read.per_second)  # …refilled at this many per second
    keepalive_interval: float = setting(30.0, read.seconds)
    keepalive_count_max: int = setting(3, read.count)
    warm_up: bool = setting(True, read.flag)  # draw the app once in the zygote: warm sessions
    spares: int = setting(2, read.count)  # Login sessions kept drawn in advance (after warm-up)
    start_sandbox: bool = setting(True, read.flag)  # with no Stripe key, start the sandbox too
    app_factory: str = setting("tui.kiosk_app:make_kiosk_app", read.factory)
    admin_factory: str = setting("tui.admin_app:make_admin_app", read.factory)


@dataclass(frozen=True)
class Config:
    """Settings read from the environment, then `paydesk.toml` in the data dir."""

    home: Path
    database_url: str = field(  # load_config's default: SQLite in `home`
        metadata={
            "read": read.database_url,
            "key": "",
            "env": "PAYDESK_DATABASE_URL",
            "secret": True,
        }
    )
    stripe_api_key: str | None = setting(None, read.secret_key, env="STRIPE_API_KEY", secret=True)
    stripe_webhook_secret: str | None = setting(
        None, read.text, env="STRIPE_WEBHOOK_SECRET", secret=True
    )
    # The hosted card page's Stripe.js key (pk_live_… / pk_test_…); the sandbox needs none.
    stripe_publishable_key: str | None = setting(None, read.text, env="STRIPE_PUBLISHABLE_KEY")
    smtp_url: str | None = setting(None, read.text, env="PAYDESK_SMTP_URL", secret=True)
    public_url: str = setting("http://127.0.0.1:8080", read.text, env="PAYDESK_PUBLIC_URL")
    ssh_host: str = setting("127.0.0.1", read.text, env="PAYDESK_SSH_HOST")  # named in emails
    # The port emails name (with ssh_host) and `serve-ssh` listens on unless given --port.
    ssh_port: int = setting(SSH_PORT, read.port, env="PAYDESK_SSH_PORT")
    idle_timeout: float = setting(IDLE_TIMEOUT, read.timeout, env="PAYDESK_IDLE_TIMEOUT")
    run: RunSettings = field(default_factory=RunSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    stripe: StripeSettings = field(default_factory=StripeSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    ssh: SSHSettings = field(default_factory=SSHSettings)

    @property
    def sandbox(self) -> bool:
        """True when no Stripe key is set: paydesk runs its own localstripe."""
        return not self.stripe_api_key

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    def to_data(self) -> dict:
        """This configuration as JSON-able data (for a child process); `from_data` undoes it."""
        return {**asdict(self), "home": str(self.home)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Config:
        """The Config `to_data` gave, every value read and checked again."""
        sections = {
            name: kind(**_read(kind, _given(data[name], f"config data {name}")))
            for name, kind in SECTIONS.items()
        }
        values = _read(cls, _given(data, "config data"))
        return cls(home=Path(data["home"]), **values, **sections)


SECTIONS: dict[str, type] = {
    "run": RunSettings,
    "mail": MailSettings,
    "stripe": StripeSettings,
    "accounts": AccountSettings,
    "ssh": SSHSettings,  # the one section in a table of its own, [ssh]
}
Lookup = Callable[[Field], tuple[str, object] | None]


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration; the environment wins over the TOML file."""
    env = os.environ if environ is None else environ
    home = Path(env.get("PAYDESK_HOME") or platformdirs.user_data_dir("paydesk"))
    data_dir.create(home)
    path = home / "paydesk.toml"
    file = _file_settings(path)
    top_level = _top_level(env, file, path)
    config = Config(home=home, database_url=f"sqlite:///{home}/paydesk.db")
    config = replace(config, **_read(Config, top_level))
    sections = {
        name: kind(**_read(kind, top_level))
        for name, kind in SECTIONS.items()
        if kind is not SSHSettings
    }
    ssh = _read(SSHSettings, _ssh_table(env, file.get("ssh", {}), path))
    # Unless [ssh] says otherwise, an SSH session idles out when the kiosk does.
    sections["ssh"] = SSHSettings(**{"idle_timeout": config.idle_timeout, **ssh})
    return replace(config, **sections)


def _file_settings(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        file = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    # A misspelt key would be ignored without a word; name it instead.
    known = {_key(f) for f in fields(Config) if "read" in f.metadata} | {"ssh"}
    for kind in SECTIONS.values():
        if kind is not SSHSettings:
            known |= {_key(f) for f in fields(kind)}
    _refuse_unknown(file, known, str(path))
    table = file.get("ssh", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: ssh: expected a table [ssh], got {table!r}")
    _refuse_unknown(table, {f.name for f in fields(SSHSettings)}, f"{path}: [ssh]")
    return file


def _refuse_unknown(given: dict, known: set[str], where: str) -> None:
    for key in given:
        if key not in known:
            names = ", ".join(sorted(known))
            raise ConfigError(f"{where}: no setting is called {key!r} (known: {names})")


def _key(f: Field) -> str:
    return f.metadata.get("key") or f.name


def _top_level(env: Mapping[str, str], file: dict, path: Path) -> Lookup:
    """A field's raw value: its environment variable if set, else its top-level key."""

    def lookup(f: Field) -> tuple[str, object] | None:
        name = f.metadata["env"]
        if name and env.get(name):
            return name, env[name]
        if file.get(_key(f), "") != "":
            return f"{path}: {_key(f)}", file[_key(f)]
        return None

    return lookup


def _ssh_table(env: Mapping[str, str], table: dict, path: Path) -> Lookup:
    """A field's raw value: PAYDESK_SSH_<NAME> if set, else its key in `[ssh]`."""

    def lookup(f: Field) -> tuple[str, object] | None:
        variable = f"PAYDESK_SSH_{f.name.upper()}"
        if env.get(variable):
            return variable, env[variable]
        if table.get(f.name, "") != "":
            return f"{path}: [ssh] {f.name}", table[f.name]
        return None

    return lookup


def _given(data: Mapping[str, Any], where: str) -> Lookup:
    """A field's value in data built by `Config.to_data`."""

    def lookup(f: Field) -> tuple[str, object] | None:
        value = data.get(f.name)
        return None if value is None else (f"{where} {f.name}", value)

    return lookup


def _read(kind: type, lookup: Lookup) -> dict[str, Any]:
    """The settings of `kind` that `lookup` finds, each read and checked."""
    values = {}
    for f in fields(kind):
        found = lookup(f) if "read" in f.metadata else None
        if found is None:
            continue
        where, raw = found
        try:
            values[f.name] = f.metadata["read"](raw)
        except ValueError as exc:
            shown = "a value that is not shown" if f.metadata["secret"] else repr(raw)
            raise ConfigError(f"{where}: expected {exc}, got {shown}") from None
    return values
