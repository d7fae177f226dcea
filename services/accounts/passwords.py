"""Password hashing (argon2id via passlib, bcrypt legacy) and the password policy."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from passlib.context import CryptContext

PASSWORD_MIN = 8
PASSWORD_MAX = 1024


@dataclass(frozen=True)
class HashPolicy:
    """argon2id cost; refused below the OWASP Password Storage Cheat Sheet minimum."""

    memory_cost: int  # KiB
    time_cost: int
    parallelism: int

    def __post_init__(self) -> None:
        if not self.meets_owasp_minimum(self.memory_cost, self.time_cost, self.parallelism):
            raise ValueError(
                f"argon2 m={self.memory_cost},t={self.time_cost},p={self.parallelism} is below "
                "the OWASP minimum (m=19456,t=2,p=1 or an equivalent profile)"
            )

    @staticmethod
    def meets_owasp_minimum(memory_cost: int, time_cost: int, parallelism: int) -> bool:
        profiles = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
        return parallelism >= 1 and any(memory_cost >= m and time_cost >= t for m, t in profiles)


OWASP_MINIMUM = HashPolicy(memory_cost=19456, time_cost=2, parallelism=1)
# 64 MiB, two passes, one lane: over three times the OWASP minimum memory, and one core per
# login, so a small server stays responsive while several people sign in at once.
DEFAULT_HASH_POLICY = HashPolicy(memory_cost=65536, time_cost=2, parallelism=1)


def make_context(policy: HashPolicy) -> CryptContext:
    """argon2id for every new hash; bcrypt only verifies legacy hashes (and is upgraded)."""
    return CryptContext(
        schemes=["argon2", "bcrypt"],
        deprecated=["bcrypt"],
        argon2__type="ID",
        argon2__memory_cost=policy.memory_cost,
        argon2__rounds=policy.time_cost,
        argon2__parallelism=policy.parallelism,
    )


_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_common: frozenset[str] | None = None


def common_passwords() -> frozenset[str]:
    """The shipped list of very common passwords (lower-cased), loaded once."""
    global _common
    if _common is None:
        lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
        _common = frozenset(
            line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
        )
    return _common


def check_password_policy(password: object) -> str | None:
    """None if the password is acceptable, else the reason to show next to the field.

    8..1024 characters, anything allowed (spaces, emoji, paste), no composition rules;
    very common passwords and a common word plus digits or symbols are refused. The
    length is checked first, so a megabyte of input is refused at once, never hashed.
    """
    if not isinstance(password, str):
        return "Enter a password."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    common = common_passwords()
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    leading = lowered.lstrip("0123456789!@#$%^&*.?-_ ")
    if (
        lowered in common
        or stem in common
        or leading in common
        or len(set(lowered)) <= 2
        or lowered in "0123456789012345678901234567890"
        or lowered in "abcdefghijklmnopqrstuvwxyz"
    ):
        return "This password is too common. Choose one that is harder to guess."
    return None


def prepare(password: str) -> str:
    """Unicode NFKC, so the same password typed on another terminal still matches."""
    return unicodedata.normalize("NFKC", password)
