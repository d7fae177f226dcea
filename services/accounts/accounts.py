"""Logins: argon2id passwords, throttling, recovery by emailed one-time code, audit rows."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import peewee

from models import Business, Contact, PasswordReset, db, utcnow, write_lock
from services.accounts.passwords import (
    DEFAULT_HASH_POLICY,
    PASSWORD_MAX,
    HashPolicy,
    check_password_policy,
    make_context,
    prepare,
)
from services.accounts.passwords import OWASP_MINIMUM as OWASP_MINIMUM  # re-exported
from services.accounts.passwords import PASSWORD_MIN as PASSWORD_MIN  # re-exported
from services.accounts.throttle import (
    ThrottleRule,
    allow,
    claim,
    clear,
    hit,
    purge,
    too_many,
    wait_seconds,
)
from services.audit import audit, clean
from services.errors import PaydeskError
from services.mail.mailer import Mailer

log = logging.getLogger("paydesk.accounts")

EMAIL_MAX = 254
RESET_MINUTES = 30
RESET_TRIES = 5

INVALID_LOGIN = "Invalid email or password."
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


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _account_key(email: str) -> str:
    """The throttle key of an email, known or not (so throttling reveals nothing)."""
    return f"account:{_digest(email)[:40]}"


# --- recovery codes ----------------------------------------------------------------------------

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


# --- the service ---------------------------------------------------------------------------


@dataclass
class AccountService:
    """Log in, recover and change passwords; every outcome leaves an audit row."""

    mailer: Mailer
    business_name: str = ""
    hash_policy: HashPolicy | None = None
    limits: Limits = field(default_factory=Limits)
    background_mail: bool = True
    # Recovery answers take at least this long (seconds), so the little database work
    # that differs between a known and an unknown email cannot be timed from outside.
    answer_floor: float = 0.05

    def __post_init__(self) -> None:
        if self.hash_policy is None:
            configured = self.mailer.config.accounts.argon2
            self.hash_policy = HashPolicy(**vars(configured)) if configured else DEFAULT_HASH_POLICY
        self.context = make_context(self.hash_policy)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash of a random secret, verified when the email is unknown (same timing)."""
        return self.context.hash(secrets.token_urlsafe(24))

    # --- passwords ------------------------------------------------------------------------

    def check_password_policy(self, password: object) -> str | None:
        return check_password_policy(password)

    def hash_password(self, password: str) -> str:
        problem = check_password_policy(password)
        if problem:
            raise AccountError(problem)
        return self.context.hash(prepare(password))

    def _verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, new hash if the stored one should be upgraded); never raises."""
        prepared = prepare(password)
        if not stored:
            self.context.verify(prepared, self._dummy_hash)
            return False, None
        try:
            if self.context.identify(stored) == "bcrypt" and len(prepared.encode()) > 72:
                return False, None  # bcrypt would truncate: never accept a prefix
            return self.context.verify_and_update(prepared, stored)
        except (ValueError, TypeError) as exc:
            log.warning("unusable password hash: %s", type(exc).__name__)
            return False, None

    # --- contacts -------------------------------------------------------------------------

    def create_contact(
        self,
        business_id: int,
        client_id: int | None,
        email: str,
        password: str | None,
        role: str = "client",
        name: str = "",
    ) -> int:
        """A new login; raises AccountError with a message for the form."""
        address = normalize_email(email)
        if not valid_email(address):
            raise AccountError("Enter a valid email address.")
        if role not in ("client", "admin"):
            raise AccountError("The role must be client or admin.")
        password_hash = self.hash_password(password) if password is not None else None
        try:
            with db.atomic():
                contact = Contact.create(
                    business=business_id,
                    client=client_id,
                    email=address,
                    name=name.strip(),
                    role=role,
                    password_hash=password_hash,
                )
        except peewee.IntegrityError as exc:
            raise AccountError("A login with that email already exists.") from exc
        audit(
            "system",
            "contact.created",
            f"contact:{contact.id}",
            {"role": role, "client": client_id, "email": address},
        )
        return int(contact.id)

    def session_for(self, contact_id: int) -> SessionInfo:
        return _session(Contact.get_by_id(contact_id))

    def logout(self, session: SessionInfo, address: str = "", reason: str = "logout") -> None:
        """Record the end of a session (the person's choice, or the idle timeout)."""
        audit(
            f"contact:{session.contact_id}",
            "logout",
            _subject(session.email),
            {"reason": reason},
            address,
        )

    def still_valid(self, session: SessionInfo) -> bool:
        """False once the login is disabled or its password changed (log the session out)."""
        contact = Contact.get_or_none(Contact.id == session.contact_id)
        return (
            contact is not None
            and not contact.disabled
            and hmac.compare_digest(_stamp(contact.password_hash), session.stamp)
        )

    def locked_for(self, contact_id: int) -> float:
        """Seconds this contact's logins stay throttled (0 if not): for the admin console."""
        contact = Contact.get_by_id(contact_id)
        return wait_seconds(_account_key(contact.email))

    def unlock(self, contact_id: int, actor: str, address: str = "") -> None:
        """Clear a contact's login throttle (the owner vouches for them); audited."""
        contact = Contact.get_by_id(contact_id)
        clear(_account_key(contact.email))
        audit(actor, "login.unlocked", f"contact:{contact.id}", {}, address)

    # --- login ----------------------------------------------------------------------------

    def login(self, email: str, password: str, address: str = "") -> SessionInfo:
        """The session for a right email and password; raises LoginError otherwise.

        An unknown email and a wrong password give the same message after the same work
        (a dummy argon2 verify), so neither the text nor the time tells them apart.
        """
        address = clean(address, 64)
        email_n = normalize_email(email)
        account_key = _account_key(email_n)
        address_key = f"address:{address}" if address else None
        # The account's attempt is counted before the password is checked (and cleared on
        # success), so simultaneous guesses from several sessions cannot outrun the lock.
        wait = wait_seconds(account_key, address_key) or claim(account_key, self.limits.account)
        if wait:
            audit("anonymous", "login.throttled", _subject(email_n), {}, address)
            raise LoginError(too_many(wait))

        contact = None
        ok, upgraded = False, None
        if email_n and isinstance(password, str) and len(password) <= PASSWORD_MAX:
            contact = Contact.get_or_none(Contact.email == email_n)
            usable = contact is not None and not contact.disabled
            stored = contact.password_hash if contact is not None and usable else None
            ok, upgraded = self._verify(password, stored)
        if not ok or contact is None:
            if address_key:
                hit(address_key, self.limits.address)
            actor = f"contact:{contact.id}" if contact is not None else "anonymous"
            audit(actor, "login.failed", _subject(email_n), {}, address)
            raise LoginError(INVALID_LOGIN)

        updates: dict = {Contact.last_login_at: utcnow()}
        if upgraded:
            updates[Contact.password_hash] = contact.password_hash = upgraded
        Contact.update(updates).where(Contact.id == contact.id).execute()
        clear(account_key)
        audit(
            f"contact:{contact.id}",
            "login.ok",
            _subject(email_n),
            {"rehashed": True} if upgraded else {},
            address,
        )
        return _session(contact)

    # --- recovery -------------------------------------------------------------------------

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
        subject = _subject(email_n)
        allowed = allow(f"reset:{_digest(email_n)[:40]}", self.limits.reset_account)
        if address:
            allowed = allow(f"reset-address:{address}", self.limits.reset_address) and allowed
        if not allowed:
            audit("anonymous", "password.reset_throttled", subject, {}, address)
            return
        code = new_recovery_code()
        contact = Contact.get_or_none(Contact.email == email_n) if email_n else None
        now = utcnow()
        if contact is None or contact.disabled:
            with write_lock():  # the same write as below, so the answer takes as long
                PasswordReset.update(used_at=now).where(
                    (PasswordReset.contact == 0) & PasswordReset.used_at.is_null()
                ).execute()
            audit("anonymous", "password.reset_requested", subject, {"sent": False}, address)
            return
        with write_lock():
            PasswordReset.update(used_at=now).where(
                (PasswordReset.contact == contact.id) & PasswordReset.used_at.is_null()
            ).execute()
            reset = PasswordReset.create(
                contact=contact.id,
                code_hash=_digest(contact.id, code),
                created_at=now,
                expires_at=now + timedelta(minutes=RESET_MINUTES),
            )
        audit(f"contact:{contact.id}", "password.reset_requested", subject, {"sent": True}, address)
        to, business = contact.email, self._business_name(contact)
        self._mail(
            lambda: self.mailer.send_recovery_code(
                to, code, business, RESET_MINUTES, event_key=f"password-reset:{reset.id}"
            )
        )

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
        given = _digest(contact.id if contact else 0, canonical or "-")
        if reset is None or canonical is None or not hmac.compare_digest(reset.code_hash, given):
            PasswordReset.update(tries=PasswordReset.tries + 1).where(
                PasswordReset.id == (reset.id if reset else 0)
            ).execute()
            if address_key:
                hit(address_key, self.limits.address)
            audit("anonymous", "password.reset_failed", _subject(email_n), {}, address)
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
        clear(_account_key(email_n))
        audit(f"contact:{contact.id}", "password.reset", _subject(email_n), {}, address)
        self._notify_changed(contact, now)

    # --- change password ------------------------------------------------------------------

    def change_password(self, contact_id: int, old: str, new: str, address: str = "") -> None:
        """Change a logged-in person's password; the old one must be right."""
        contact = Contact.get_by_id(contact_id)
        problem = check_password_policy(new)
        if problem:
            raise PasswordChangeError(problem)
        address = clean(address, 64)
        account_key = _account_key(contact.email)
        wait = wait_seconds(account_key, None)
        if wait:
            raise PasswordChangeError(too_many(wait))
        ok = False
        if isinstance(old, str) and len(old) <= PASSWORD_MAX:
            ok, _ = self._verify(old, contact.password_hash)
        if not ok:
            hit(account_key, self.limits.account)
            audit(f"contact:{contact.id}", "password.change_failed", "", {}, address)
            raise PasswordChangeError(WRONG_CURRENT)
        if old == new:
            raise PasswordChangeError("Choose a password different from the current one.")
        now = utcnow()
        with db.atomic():
            Contact.update(password_hash=self.context.hash(prepare(new))).where(
                Contact.id == contact.id
            ).execute()
            PasswordReset.update(used_at=now).where(
                (PasswordReset.contact == contact.id) & PasswordReset.used_at.is_null()
            ).execute()
        audit(f"contact:{contact.id}", "password.changed", _subject(contact.email), {}, address)
        self._notify_changed(contact, now)

    def housekeeping(self) -> int:
        """Drop stale throttle counters and week-old finished recovery codes (for `paydesk run`)."""
        week_ago = utcnow() - timedelta(days=7)
        resets = (
            PasswordReset.delete()
            .where(
                (PasswordReset.expires_at < week_ago)
                | (PasswordReset.used_at.is_null(False) & (PasswordReset.used_at < week_ago))
            )
            .execute()
        )
        return purge() + int(resets)

    # --- mail -----------------------------------------------------------------------------

    def wait_for_mail(self, timeout: float = 30.0) -> None:
        """Wait until the emails this service queued have been handed to the mailer."""
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)

    def _notify_changed(self, contact: Contact, when: datetime) -> None:
        to, business = contact.email, self._business_name(contact)
        key = f"password-changed:{contact.id}:{when.isoformat()}"
        self._mail(lambda: self.mailer.send_password_changed(to, business, key, when))

    def _mail(self, send: Callable[[], object]) -> None:
        """Send off the request path, so answering never waits for (or reveals) the mail."""
        if not self.background_mail:
            _quietly(send)
            return

        def run() -> None:
            with db.connection_context():
                _quietly(send)

        thread = threading.Thread(target=run, name="paydesk-mail", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _pad(self, started: float) -> None:
        remaining = self.answer_floor - (time.perf_counter() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _business_name(self, contact: Contact) -> str:
        if self.business_name:
            return self.business_name
        business = Business.get_or_none(Business.id == contact.business_id)
        return business.name if business else ""


def _quietly(send: Callable[[], object]) -> None:
    try:
        send()
    except Exception:
        log.exception("sending an account email failed")


def _subject(email: str) -> str:
    return f"email:{email}" if email else ""


def _session(contact: Contact) -> SessionInfo:
    return SessionInfo(
        contact_id=int(contact.id),
        client_id=contact.client_id,
        business_id=int(contact.business_id),
        email=contact.email,
        name=contact.name,
        role=contact.role,
        stamp=_stamp(contact.password_hash),
    )


def _stamp(password_hash: str | None) -> str:
    return _digest("session-stamp", password_hash or "")[:16]
