"""Password recovery: a one-time code by email (hashed at rest, 30 minutes, single use, 5 tries).

Neither the answer nor its timing tells whether an email has a login: unknown emails run
the same queries and writes, and every answer takes at least `answer_floor` seconds.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta

from passlib.context import CryptContext

from models import Contact, PasswordReset, utcnow, write_lock
from services.accounts.identity import (
    RESET_BAD_CODE,
    Limits,
    ResetError,
    digest,
    normalize_email,
    subject,
)
from services.accounts.name_keys import NameKeys
from services.accounts.notices import AccountNotices
from services.accounts.passwords import check_password_policy, prepare
from services.accounts.throttle import allow, clear, hit, too_many, wait_seconds
from services.audit import audit, clean

RESET_MINUTES = 30
INVITE_DAYS = 7  # an invitation's set-password code lasts longer than a recovery code
RESET_TRIES = 5

_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, no i l o u
_CODE_CHARS = 12  # 60 random bits; with 5 tries per code and throttled requests
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_SEPARATORS = str.maketrans("", "", " -_.\t")


def normalize_recovery_code(code: object) -> str | None:
    """The canonical form (`xxxx-xxxx-xxxx`) of a recovery code typed any way, or None."""
    if not isinstance(code, str) or len(code) > 100:
        return None
    raw = code.strip().lower().translate(_SEPARATORS).translate(_LOOKALIKES)
    if len(raw) != _CODE_CHARS or any(c not in _CODE_ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_CHARS, 4))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_CHARS))
    code = normalize_recovery_code(raw)
    assert code is not None
    return code


def _replace_codes(contact: Contact, code: str, now, lifetime: timedelta) -> PasswordReset:
    """The contact's new code (its hash, valid for `lifetime`); its older codes stop working."""
    with write_lock():
        PasswordReset.update(used_at=now).where(
            (PasswordReset.contact == contact.id) & PasswordReset.used_at.is_null()
        ).execute()
        return PasswordReset.create(
            contact=contact.id,
            code_hash=digest(contact.id, code),
            created_at=now,
            expires_at=now + lifetime,
        )


class Recovery:
    """Requests and redeems recovery codes; AccountService answers with it."""

    def __init__(
        self,
        context: CryptContext,
        limits: Limits,
        notices: AccountNotices,
        answer_floor: float,
        names: NameKeys,
    ) -> None:
        self.context = context
        self.limits = limits
        self.notices = notices
        self.answer_floor = answer_floor
        self.names = names

    def request_reset(self, email: str, address: str = "") -> None:
        """Email a one-time recovery code if the email has a login. Always answers the same.

        Show RESET_REQUESTED whatever happens. A new code invalidates older ones; requests
        are throttled per email and per address (silently: the answer never changes).
        The answer takes as long whether or not the email exists (mail goes out after it).
        """
        started = time.perf_counter()
        try:
            self._request_reset(email, address)
        finally:
            self._pad(started)

    def _request_reset(self, email: str, address: str) -> None:
        address = clean(address, 64)
        email_n = normalize_email(email)
        contact = Contact.get_or_none(Contact.email == email_n) if email_n else None
        about = self.names.subject(email_n, contact is not None)  # an unknown name: hashed
        allowed = allow(self.names.throttle_key("reset", email_n), self.limits.reset_account)
        if address:
            allowed = allow(f"reset-address:{address}", self.limits.reset_address) and allowed
        if not allowed:
            audit("anonymous", "password.reset_throttled", about, {}, address)
            return
        code = new_recovery_code()
        now = utcnow()
        if contact is None or contact.disabled:
            with write_lock():  # the same write as below, so the answer takes as long
                PasswordReset.update(used_at=now).where(
                    (PasswordReset.contact == 0) & PasswordReset.used_at.is_null()
                ).execute()
            audit("anonymous", "password.reset_requested", about, {"sent": False}, address)
            return
        reset = _replace_codes(contact, code, now, timedelta(minutes=RESET_MINUTES))
        audit(f"contact:{contact.id}", "password.reset_requested", about, {"sent": True}, address)
        self.notices.recovery_code(contact, code, RESET_MINUTES, reset.id)

    def invite(self, contact: Contact, login_command: str, actor: str, address: str = "") -> bool:
        """Email `contact` (a login with no password yet) a code to set one: the recovery
        machinery, with a code that lasts INVITE_DAYS. Older codes stop working."""
        code = new_recovery_code()
        reset = _replace_codes(contact, code, utcnow(), timedelta(days=INVITE_DAYS))
        sent = self.notices.invite(contact, code, INVITE_DAYS, reset.id, login_command)
        audit(actor, "contact.invited", f"contact:{contact.id}", {"sent": sent}, address)
        return sent

    def reset_password(self, email: str, code: str, new_password: str, address: str = "") -> None:
        """Set a new password with an emailed code. Does not log in: the person logs in next.

        Raises ResetError: a policy message (nothing spent), RESET_BAD_CODE (unknown email,
        wrong, used, expired or exhausted code — one message for all), or `too_many(…)`.
        """
        problem = check_password_policy(new_password)
        if problem:
            raise ResetError(problem)
        started = time.perf_counter()
        try:
            self._reset_password(email, code, new_password, address)
        finally:
            self._pad(started)

    def _reset_password(self, email: str, code: str, new_password: str, address: str) -> None:
        address = clean(address, 64)
        address_key = f"address:{address}" if address else None
        wait = wait_seconds(None, address_key)
        if wait:
            raise ResetError(too_many(wait))
        email_n = normalize_email(email)
        canonical = normalize_recovery_code(code)
        now = utcnow()
        contact = Contact.get_or_none(Contact.email == email_n) if email_n else None
        # The same queries run whether or not the email (or a live code) exists.
        reset = (
            PasswordReset.select()
            .where(
                (PasswordReset.contact == (contact.id if contact else 0))
                & PasswordReset.used_at.is_null()
                & (PasswordReset.expires_at > now)
                & (PasswordReset.tries < RESET_TRIES)
            )
            .order_by(PasswordReset.id.desc())
            .first()
        )
        given = digest(contact.id if contact else 0, canonical or "-")
        if reset is None or canonical is None or not hmac.compare_digest(reset.code_hash, given):
            PasswordReset.update(tries=PasswordReset.tries + 1).where(
                PasswordReset.id == (reset.id if reset else 0)
            ).execute()
            if address_key:
                hit(address_key, self.limits.address)
            about = self.names.subject(email_n, contact is not None)
            audit("anonymous", "password.reset_failed", about, {}, address)
            raise ResetError(RESET_BAD_CODE)
        assert contact is not None
        new_hash = self.context.hash(prepare(new_password))
        with write_lock():
            used = (
                PasswordReset.update(used_at=now)
                .where(
                    (PasswordReset.id == reset.id)
                    & PasswordReset.used_at.is_null()
                    & (PasswordReset.tries < RESET_TRIES)
                    & (PasswordReset.expires_at > now)
                )
                .execute()
            )
            if used == 1:
                Contact.update(password_hash=new_hash).where(Contact.id == contact.id).execute()
                PasswordReset.update(used_at=now).where(
                    (PasswordReset.contact == contact.id) & PasswordReset.used_at.is_null()
                ).execute()
        if used != 1:  # another session redeemed it a moment ago
            raise ResetError(RESET_BAD_CODE)
        clear(self.names.throttle_key("account", email_n))
        audit(f"contact:{contact.id}", "password.reset", subject(email_n), {}, address)
        self.notices.password_changed(contact, now)

    def _pad(self, started: float) -> None:
        remaining = self.answer_floor - (time.perf_counter() - started)
        if remaining > 0:
            time.sleep(remaining)
