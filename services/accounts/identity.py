"""Who a login is: email rules, the session a login opens, throttle keys, accounts' errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from models import Contact
from services.accounts.throttle import ThrottleRule
from services.errors import PaydeskError

EMAIL_MAX = 254

INVALID_LOGIN = "Invalid email or password."
LOGIN_DISABLED = "This login is disabled. Ask the business to enable it."
ENDED_DISABLED = "This login was disabled by the business."
ENDED_REMOVED = "This login was removed by the business."
ENDED_PASSWORD = "Your password was changed. Sign in with the new one."
RESET_REQUESTED = "If an account uses that email, we have sent it a recovery code."
RESET_BAD_CODE = "That code is wrong or has expired. Check it, or request a new code."
WRONG_CURRENT = "Your current password is not right."


class AccountError(PaydeskError):
    """A problem a person can act on; `message` is what the screen shows."""


class LoginError(AccountError):
    """Login refused: INVALID_LOGIN, or `too_many(…)` while throttled."""


class ResetError(AccountError):
    """Recovery refused: RESET_BAD_CODE, a password-policy message, or `too_many(…)`."""


class PasswordChangeError(AccountError):
    """Change refused: WRONG_CURRENT, a password-policy message, or `too_many(…)`."""


@dataclass(frozen=True)
class SessionInfo:
    """Who is logged in; what the kiosk keeps for the session."""

    contact_id: int
    client_id: int | None
    business_id: int
    email: str
    name: str
    role: str
    # Changes when the password does: `AccountService.still_valid` ends other sessions.
    stamp: str = ""


@dataclass(frozen=True)
class Limits:
    """How many failures (or recovery requests) paydesk allows before it makes people wait."""

    account: ThrottleRule = ThrottleRule(
        5, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=24)
    )
    address: ThrottleRule = ThrottleRule(
        20, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1)
    )
    reset_account: ThrottleRule = ThrottleRule(
        3, timedelta(minutes=15), timedelta(hours=2), timedelta(hours=1)
    )
    reset_address: ThrottleRule = ThrottleRule(
        10, timedelta(minutes=15), timedelta(hours=2), timedelta(hours=1)
    )


def normalize_email(email: object) -> str:
    if not isinstance(email, str) or len(email) > 4 * EMAIL_MAX:
        return ""
    return email.strip().lower()


def valid_email(email: str) -> bool:
    local, at, domain = email.rpartition("@")
    return (
        bool(at and local and domain)
        and len(email) <= EMAIL_MAX
        and "." in domain
        and not any(c.isspace() or ord(c) < 32 for c in email)
    )


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def subject(email: str) -> str:
    """The audit subject naming an email ("" for none)."""
    return f"email:{email}" if email else ""


def session_of(contact: Contact) -> SessionInfo:
    return SessionInfo(
        contact_id=int(contact.id),
        client_id=contact.client_id,
        business_id=int(contact.business_id),
        email=contact.email,
        name=contact.name,
        role=contact.role,
        stamp=stamp(contact.password_hash),
    )


def stamp(password_hash: str | None) -> str:
    return digest("session-stamp", password_hash or "")[:16]
