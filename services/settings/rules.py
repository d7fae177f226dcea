"""What each setting may be, checked field by field: pure functions from the text typed to
the value stored, or a SettingError naming the field and what it expects.

    >>> schedule("retry_days", "1, 3, 7")
    (1, 3, 7)
    >>> schedule("retry_days", "3, 1")
    Traceback (most recent call last):
    ...
    services.settings.rules.SettingError: Retry days: each day after the one before, like 1, 3, 7
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global
from babel.numbers import get_territory_currencies

from models import AUTOBILL_MODES
from services.accounts.identity import normalize_email, valid_email
from services.errors import PaydeskError
from services.text import control_problem

LABELS = {
    "name": "Business name",
    "billing_email": "Billing email",
    "address": "Address",
    "currency": "Currency",
    "timezone": "Time zone",
    "invoice_prefix": "Invoice prefix",
    "next_invoice_number": "Next invoice number",
    "payment_terms_days": "Days to pay",
    "autobill_on": "Charge day",
    "autobill_mode": "Auto-bill default",
    "tax_rates": "Tax rates",
    "retry_days": "Retry days",
    "reminder_days": "Reminder days",
    "idle_timeout": "Kiosk idle timeout",
    "ssh_host": "SSH host in emails",
    "ssh_port": "SSH port in emails",
}
CHARGE_DAYS = ("due", "issue")
MAX_SCHEDULE = 12  # steps of a retry or reminder schedule
MIN_IDLE = 30.0  # seconds: less and a client cannot read a screen before it goes


class SettingError(PaydeskError):
    """One setting refused; `field` names it (a key of LABELS)."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{LABELS[field]}: {expected}")
        self.field = field


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """The currencies some country tenders today (Babel's CLDR data): no XXX, no DEM."""
    today = date.today()
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(codes)


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def text(field: str, raw: str, lines: bool = False, empty: bool = False) -> str:
    problem = control_problem(LABELS[field], raw, lines=lines)
    if problem:
        raise SettingError(field, problem.partition(": ")[2])
    value = raw.strip()
    if not value and not empty:
        raise SettingError(field, "enter some text")
    return value.replace("\r\n", "\n") if lines else value


def email(field: str, raw: str) -> str:
    value = normalize_email(raw)
    if not valid_email(value):
        raise SettingError(
            field, f"{raw.strip()!r} is not an email address, like billing@example.com"
        )
    return value


def currency(field: str, raw: str) -> str:
    value = raw.strip().upper()
    if value not in currencies():
        raise SettingError(field, f"{raw.strip()!r} is not a currency in use, like USD or EUR")
    return value


def timezone(field: str, raw: str) -> str:
    value = raw.strip()
    if value not in timezones():
        raise SettingError(field, f"{value!r} is not a time zone, like Europe/Paris or UTC")
    ZoneInfo(value)  # the zone's data is there (it is listed)
    return value


def whole(field: str, raw: str, low: int, high: int) -> int:
    value = raw.strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingError(field, f"a whole number from {low} to {high}")
    return int(value)


def seconds(field: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise SettingError(field, f"a number of seconds from {low:g} to {high:g}")
    return value


def choice(field: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip()
    if value not in allowed:
        raise SettingError(field, f"one of {', '.join(allowed)}")
    return value


def schedule(field: str, raw: str) -> tuple[int, ...]:
    """Days, each after the one before: "1, 3, 7" → (1, 3, 7); "" → () (none)."""
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 365 for p in parts):
        raise SettingError(field, "whole numbers of days from 1 to 365, like 1, 3, 7")
    days = tuple(int(p) for p in parts)
    if any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise SettingError(field, "each day after the one before, like 1, 3, 7")
    if len(days) > MAX_SCHEDULE:
        raise SettingError(field, f"at most {MAX_SCHEDULE} days")
    return days


def host(field: str, raw: str) -> str:
    value = raw.strip()
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")
    if not value or len(value) > 253 or not set(value.lower()) <= allowed:
        raise SettingError(field, "a host name or address, like billing.example.com")
    return value


def tax_rates(field: str, raw: str) -> tuple[tuple[str, int], ...]:
    """Named rates in basis points: "VAT 20; Reduced 5.5" → (("VAT", 2000), ("Reduced", 550))."""
    rates: list[tuple[str, int]] = []
    for part in (p.strip() for p in raw.split(";")):
        if not part:
            continue
        name, _, rate = part.rstrip("%").rpartition(" ")
        name = text(field, name, empty=True)
        try:
            percent = Decimal(rate.strip())
        except InvalidOperation:
            percent = Decimal(-1)
        if not name or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
            raise SettingError(field, f"{part!r}: a name and a percent, like VAT 20; Reduced 5.5")
        if any(n.lower() == name.lower() for n, _ in rates):
            raise SettingError(field, f"{name!r} is named twice")
        rates.append((name, int(percent * 100)))
    return tuple(rates)


def show_rates(rates: tuple[tuple[str, int], ...]) -> str:
    """The text tax_rates reads back: (("VAT", 2000),) → "VAT 20"."""
    return "; ".join(f"{name} {percent(bp)}" for name, bp in rates)


def percent(bp: int) -> str:
    """Basis points as a percent without trailing zeros: 2000 → "20", 550 → "5.5"."""
    shown = f"{Decimal(bp) / 100:f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def show_days(days: tuple[int, ...]) -> str:
    return ", ".join(str(d) for d in days)


def autobill_mode(field: str, raw: str) -> str:
    return choice(field, raw, AUTOBILL_MODES)
