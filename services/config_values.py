"""How one raw setting is read: a TOML value, or the text of an environment variable.

Each reader returns the typed value or raises ValueError saying what it expects; the
loader (services/config.py) adds where the value came from.
"""

from __future__ import annotations

import math


def _parsed(raw: object, kind: type[int] | type[float], what: str) -> object:
    """`raw`, or the number its text spells (read with `kind`); ValueError(what) if none."""
    if isinstance(raw, str):
        try:
            return kind(raw.strip())
        except ValueError:
            raise ValueError(what) from None
    return raw


def _number(raw: object, what: str, above_zero: bool) -> float:
    """`raw` as a finite number, 0 or more (above 0 with `above_zero`); else ValueError(what)."""
    raw = _parsed(raw, float, what)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(what)
    if raw < 0 or (above_zero and raw == 0):
        raise ValueError(what)
    return float(raw)


def _whole(raw: object, minimum: int, what: str) -> int:
    raw = _parsed(raw, int, what)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise ValueError(what)
    return raw


def seconds(raw: object) -> float:
    return _number(raw, "a number of seconds, 0 or more", above_zero=False)


def timeout(raw: object) -> float:
    return _number(raw, "a number of seconds above 0", above_zero=True)


def per_second(raw: object) -> float:
    return _number(raw, "a number per second above 0", above_zero=True)


def count(raw: object) -> int:
    return _whole(raw, 0, "a whole number, 0 or more")


def positive_count(raw: object) -> int:
    return _whole(raw, 1, "a whole number, 1 or more")


def port(raw: object) -> int:
    value = _whole(raw, 1, "a port number from 1 to 65535")
    if value > 65535:
        raise ValueError("a port number from 1 to 65535")
    return value


def days(raw: object) -> tuple[int, ...]:
    what = "a list of whole numbers of days, like [1, 3, 7]"
    if not isinstance(raw, list | tuple):
        raise ValueError(what)
    return tuple(_whole(item, 0, what) for item in raw)


def flag(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower() if isinstance(raw, str | int) else ""
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("true or false (1/0, yes/no, on/off)")


def text(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("some text")
    return raw


def database_url(raw: object) -> str:
    """sqlite:///path or postgresql://… (postgres:// too); the rest is checked on connecting."""
    schemes = ("sqlite:///", "postgresql://", "postgres://", "postgresext://")
    if not isinstance(raw, str) or not raw.startswith(schemes) or raw in schemes:
        raise ValueError("sqlite:///path/to/paydesk.db or postgresql://user@host:5432/db")
    return raw


def secret_key(raw: object) -> str:
    if not isinstance(raw, str) or not raw.startswith(("sk_", "rk_")):
        raise ValueError("a secret key (sk_… or rk_…)")
    return raw


def factory(raw: object) -> str:
    module, colon, name = raw.partition(":") if isinstance(raw, str) else ("", "", "")
    if not (module and colon and name.isidentifier()):
        raise ValueError("module:function, like tui.kiosk_app:make_kiosk_app")
    return str(raw)


def whole_numbers(raw: object, names: tuple[str, ...]) -> tuple[int, ...]:
    """A table of exactly `names`, each a whole number ≥ 1, in that order."""
    if not isinstance(raw, dict) or set(raw) != set(names):
        raise ValueError(f"a table of {', '.join(names)}: whole numbers, 1 or more")
    return tuple(_whole(raw[name], 1, f"{name}: a whole number, 1 or more") for name in names)
