"""The Settings screen's service: every setting as the form shows it, where its value comes
from, the read-only ones with where to change them, and saving (checked field by field,
audited with before and after)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import peewee as pw

from models import Business, Invoice, lock_rows, write_lock
from services.audit import audit
from services.config import Config
from services.errors import PaydeskError
from services.settings import rules
from services.settings.store import STORED, Effective, defaults, effective, store

BUSINESS = ("name", "billing_email", "address", "currency", "timezone", "invoice_prefix",
            "next_invoice_number", "payment_terms_days", "autobill_on")  # fmt: skip
FIELDS = BUSINESS + STORED
MAX_IDLE = 24 * 3600.0
# Where each stored setting's default is set, for the screen.
DEFAULT_FROM = {
    "autobill_mode": "paydesk's default",
    "tax_rates": "none",
    "retry_days": "retry_days in paydesk.toml",
    "reminder_days": "reminder_days in paydesk.toml",
    "idle_timeout": "PAYDESK_IDLE_TIMEOUT or idle_timeout in paydesk.toml",
    "ssh_host": "PAYDESK_SSH_HOST or ssh_host in paydesk.toml",
    "ssh_port": "PAYDESK_SSH_PORT or ssh_port in paydesk.toml",
}


class SettingsRefused(PaydeskError):
    """Some fields were refused: `problems` names each with what it expects."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Fixed:
    """A setting the console shows but does not change: its value and where to change it."""

    label: str
    value: str
    change: str


@dataclass(frozen=True)
class SettingsView:
    """Every editable setting's text, where the stored ones come from, and the fixed ones."""

    values: dict[str, str]
    sources: dict[str, str]  # stored settings: "stored (default …)" or "default: where"
    fixed: tuple[Fixed, ...]
    stripe_mode: str  # sandbox | test | live
    last_number: int  # the highest number used with the prefix (0: none)


def stripe_mode(config: Config) -> str:
    """sandbox without a key; test or live as the key says (sk_test_…, rk_live_…)."""
    key = config.stripe_api_key or ""
    if not key:
        return "sandbox"
    return "live" if "_live_" in key else "test"


def last_number(business_id: int, prefix: str) -> int:
    """The highest invoice number used after `prefix` (INV-0042 → 42), 0 for none: the
    longest all-digit tail, then the greatest."""
    n = len(prefix)
    tails = (
        Invoice.select(pw.fn.SUBSTR(Invoice.number, n + 1))
        .where(Invoice.business == business_id, pw.fn.SUBSTR(Invoice.number, 1, n) == prefix)
        .order_by(pw.fn.LENGTH(Invoice.number).desc(), Invoice.number.desc())
        .limit(50)
        .tuples()
    )
    return next((int(t) for (t,) in cast("Iterable[tuple[str]]", tails) if t.isdigit()), 0)


def _text(key: str, value: Any) -> str:
    """A value as the form shows it (and reads back)."""
    if key == "tax_rates":
        return rules.show_rates(value)
    if key in ("retry_days", "reminder_days"):
        return rules.show_days(value)
    if key == "idle_timeout":
        return f"{value:g}"
    return str(value)


class SettingsService:
    """Reads and saves the owner's settings for one business."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def view(self, business_id: int) -> SettingsView:
        b = Business.get_by_id(business_id)
        now = effective(self._config)
        base = defaults(self._config)
        values = {key: _text(key, getattr(b, key)) for key in BUSINESS}
        values |= {key: _text(key, getattr(now, key)) for key in STORED}
        sources = {}
        for key in STORED:
            was = _text(key, getattr(base, key)) or "none"
            where = DEFAULT_FROM[key]
            sources[key] = (
                f"set here; default {was} ({where})"
                if key in now.stored
                else (f"default ({where})")
            )
        return SettingsView(
            values, sources, self._fixed(), stripe_mode(self._config),
            last_number(business_id, b.invoice_prefix),
        )  # fmt: skip

    def _fixed(self) -> tuple[Fixed, ...]:
        c = self._config
        mode = stripe_mode(c)
        stripe = {"sandbox": "sandbox (localstripe: no card is charged)",
                  "test": "test key: Stripe test mode, no real money",
                  "live": "LIVE key: real cards are charged"}[mode]  # fmt: skip
        database = "PostgreSQL" if not c.database_url.startswith("sqlite") else "SQLite"
        return (
            Fixed("Stripe", stripe, "STRIPE_API_KEY"),
            Fixed("Web pages", c.public_url, "PAYDESK_PUBLIC_URL (where the proxy serves)"),
            Fixed("Mail", "SMTP" if c.smtp_url else f"Maildir {c.outbox}", "PAYDESK_SMTP_URL"),
            Fixed("SSH listens on", f"port {c.ssh_port}", "PAYDESK_SSH_PORT or serve-ssh --port"),
            Fixed("SSH session idle", f"{c.ssh.idle_timeout:g} s", "[ssh] idle_timeout"),
            Fixed("Database", database, "PAYDESK_DATABASE_URL"),
        )

    def check(self, business_id: int, form: dict[str, str]) -> dict[str, Any]:
        """The values the form's text reads as; SettingsRefused names every bad field."""
        b = Business.get_by_id(business_id)
        readers: dict[str, Callable[[str, str], Any]] = {
            "name": rules.text,
            "billing_email": rules.email,
            "address": lambda f, raw: rules.text(f, raw, lines=True, empty=True),
            "currency": rules.currency,
            "timezone": rules.timezone,
            "invoice_prefix": lambda f, raw: rules.text(f, raw, empty=True)[:20],
            "next_invoice_number": lambda f, raw: rules.whole(f, raw, 1, 10**9),
            "payment_terms_days": lambda f, raw: rules.whole(f, raw, 0, 365),
            "autobill_on": lambda f, raw: rules.choice(f, raw, rules.CHARGE_DAYS),
            "autobill_mode": rules.autobill_mode,
            "tax_rates": rules.tax_rates,
            "retry_days": rules.schedule,
            "reminder_days": rules.schedule,
            "idle_timeout": lambda f, raw: rules.seconds(f, raw, rules.MIN_IDLE, self._idle_cap()),
            "ssh_host": rules.host,
            "ssh_port": lambda f, raw: rules.whole(f, raw, 1, 65535),
        }
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for key in FIELDS:
            if key not in form:
                continue
            try:
                values[key] = readers[key](key, form[key])
            except rules.SettingError as exc:
                problems[key] = exc.message
        if "currency" in values and values["currency"] != b.currency:
            other = _other_currency(business_id, values["currency"])
            if other:
                problems["currency"] = rules.SettingError(
                    "currency", f"the business has invoices in {other}; amounts would be mixed"
                ).message
        if "next_invoice_number" in values and "next_invoice_number" not in problems:
            prefix = values.get("invoice_prefix", b.invoice_prefix)
            used = last_number(business_id, prefix)
            if values["next_invoice_number"] <= used:
                problems["next_invoice_number"] = rules.SettingError(
                    "next_invoice_number", f"above {prefix}{used:04d}, the last one used"
                ).message
        if problems:
            raise SettingsRefused(problems)
        return values

    def _idle_cap(self) -> float:
        # Over SSH the server closes a session idle for its own timeout first.
        return min(MAX_IDLE, self._config.ssh.idle_timeout)

    def save(self, business_id: int, form: dict[str, str], actor: str, address: str = "") -> dict:
        """Check the form, then store what changed and audit it in one transaction
        ("settings.changed": {"changes": {field: [before, after]}}); returns the changes
        (none: nothing written). The numbering is checked again under the lock."""
        values = self.check(business_id, form)
        with write_lock():
            b = lock_rows(Business.select().where(Business.id == business_id)).get()
            now = effective(self._config)
            if "next_invoice_number" in values:
                prefix = values.get("invoice_prefix", b.invoice_prefix)
                used = last_number(business_id, prefix)
                if values["next_invoice_number"] <= used:
                    message = f"above {prefix}{used:04d}, the last one used (one was just made)"
                    raise SettingsRefused(
                        {
                            "next_invoice_number": rules.SettingError(
                                "next_invoice_number", message
                            ).message
                        }
                    )
            changes = _changes(b, now, values)
            if not changes:
                return {}
            on_row = {k: after for k, (_, after) in changes.items() if k in BUSINESS}
            if on_row:
                Business.update(on_row).where(Business.id == business_id).execute()
            store({k: after for k, (_, after) in changes.items() if k in STORED})
            audit(actor, "settings.changed", f"business:{business_id}",
                  {"changes": {k: list(v) for k, v in changes.items()}}, address)  # fmt: skip
        return changes


def _changes(b: Business, now: Effective, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for key, after in values.items():
        before = getattr(b, key) if key in BUSINESS else getattr(now, key)
        if isinstance(before, tuple):
            after = tuple(after)
        if before != after:
            out[key] = (_plain(before), _plain(after))
    return out


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (tuples as lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _other_currency(business_id: int, currency: str) -> str:
    """A currency the business already invoiced in other than `currency` ("" if none)."""
    row = (
        Invoice.select(Invoice.currency)
        .where(Invoice.business == business_id, Invoice.currency != currency)
        .limit(1)
        .tuples()
        .first()
    )
    return str(row[0]) if row else ""
