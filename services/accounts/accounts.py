"""Logins: argon2id passwords, throttling, contacts, sessions; audit rows for every outcome.

Recovery by emailed one-time code is in recovery.py, the emails in notices.py, and the
email rules, the session and the errors in identity.py; AccountService answers for all.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

import peewee

from models import Contact, PasswordReset, db, utcnow
from services.accounts.identity import (
    ENDED_DISABLED,
    ENDED_PASSWORD,
    ENDED_REMOVED,
    INVALID_LOGIN,
    LOGIN_DISABLED,
    WRONG_CURRENT,
    AccountError,
    Limits,
    LoginError,
    PasswordChangeError,
    SessionInfo,
    normalize_email,
    session_of,
    stamp,
    subject,
    valid_email,
)
from services.accounts.name_keys import NameKeys
from services.accounts.notices import AccountNotices
from services.accounts.passwords import (
    DEFAULT_HASH_POLICY,
    PASSWORD_MAX,
    HashPolicy,
    check_password_policy,
    make_context,
    prepare,
)
from services.accounts.recovery import (
    Recovery,
)
from services.accounts.throttle import (
    claim,
    clear,
    hit,
    purge,
    too_many,
    wait_seconds,
)
from services.audit import audit, clean
from services.mail.mailer import Mailer
from services.text import refuse_controls

log = logging.getLogger("paydesk.accounts")
NO_OWNER = "This business has no owner login to ask the password of: no refund."


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
        self.notices = AccountNotices(self.mailer, self.business_name, self.background_mail)
        self.names = NameKeys(self.mailer.config.home)
        self.recovery = Recovery(
            self.context, self.limits, self.notices, self.answer_floor, self.names
        )

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

    def _own_password_ok(self, contact: Contact, password: object, error: type[Exception]) -> bool:
        """Whether `password` is the signed-in contact's own (asked again to confirm an act),
        throttled on the contact's account key like sign-in: `error` while it is locked, and
        a wrong one counts against it. The caller audits a failure in its own words."""
        own_key = self.names.throttle_key("account", contact.email)
        wait = wait_seconds(own_key, None)
        if wait:
            raise error(too_many(wait))
        ok = False
        if isinstance(password, str) and len(password) <= PASSWORD_MAX:
            ok, _ = self._verify(password, contact.password_hash)
        if not ok:
            hit(own_key, self.limits.account)
        return ok

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
        actor: str = "system",
        address: str = "",
    ) -> int:
        """A new login; raises AccountError with a message for the form. Audited as `actor`
        (from `address`)."""
        refuse_controls(AccountError, {"name": name})
        email_n = normalize_email(email)
        if not valid_email(email_n):
            raise AccountError("Enter a valid email address.")
        if role not in ("client", "admin"):
            raise AccountError("The role must be client or admin.")
        password_hash = self.hash_password(password) if password is not None else None
        try:
            with db.atomic():
                contact = Contact.create(
                    business=business_id,
                    client=client_id,
                    email=email_n,
                    name=name.strip(),
                    role=role,
                    password_hash=password_hash,
                )
        except peewee.IntegrityError as exc:
            raise AccountError("A login with that email already exists.") from exc
        audit(
            actor,
            "contact.created",
            f"contact:{contact.id}",
            {"role": role, "client": client_id, "email": email_n},
            address,
        )
        return int(contact.id)

    def session_for(self, contact_id: int) -> SessionInfo:
        return session_of(Contact.get_by_id(contact_id))

    def logout(self, session: SessionInfo, address: str = "", reason: str = "logout") -> None:
        """Record the end of a session (the person's choice, or the idle timeout)."""
        audit(
            f"contact:{session.contact_id}",
            "logout",
            subject(session.email),
            {"reason": reason},
            address,
        )

    def still_valid(self, session: SessionInfo) -> bool:
        """False once the login is disabled or its password changed (log the session out)."""
        return self.session_ended(session) is None

    def session_ended(self, session: SessionInfo) -> str | None:
        """Why this session must end now (its login disabled or removed, its password
        changed), for the person at the kiosk; None while it may go on. One read by key:
        the kiosk asks every few seconds."""
        contact = Contact.get_or_none(Contact.id == session.contact_id)
        if contact is None:
            return ENDED_REMOVED
        if contact.disabled:
            return ENDED_DISABLED
        if not hmac.compare_digest(stamp(contact.password_hash), session.stamp):
            return ENDED_PASSWORD
        return None

    def locked_for(self, contact_id: int) -> float:
        """Seconds this contact's logins stay throttled (0 if not): for the admin console."""
        contact = Contact.get_by_id(contact_id)
        return wait_seconds(self.names.throttle_key("account", contact.email))

    def unlock(self, contact_id: int, actor: str, address: str = "") -> None:
        """Clear a contact's login throttle (the owner vouches for them); audited."""
        contact = Contact.get_by_id(contact_id)
        clear(self.names.throttle_key("account", contact.email))
        audit(actor, "login.unlocked", f"contact:{contact.id}", {}, address)

    # --- the owner's password again (the console, before a refund) ------------------------

    def owner_login(self, business_id: int) -> Contact | None:
        """The business's owner login (role admin, enabled, with a password), or None."""
        return (
            Contact.select()
            .where(
                (Contact.business == business_id)
                & (Contact.role == "admin")
                & (Contact.disabled == False)  # noqa: E712 - Peewee expression
                & Contact.password_hash.is_null(False)
            )
            .order_by(Contact.id)
            .first()
        )

    def confirm_owner(self, business_id: int, password: str, actor: str, address: str) -> bool:
        """Whether `password` is the owner login's; throttled like logins, a miss audited
        (never what was typed). AccountError when there is no owner login to ask for."""
        owner = self.owner_login(business_id)
        if owner is None:
            raise AccountError(
                "This business has no owner login to ask the password of: no refund."
            )
        ok = self._own_password_ok(owner, password, AccountError)
        if not ok:
            audit(actor, "owner.password_failed", f"contact:{owner.id}", {}, address)
        return ok

    # --- login ----------------------------------------------------------------------------

    def login(self, email: str, password: str, address: str = "") -> SessionInfo:
        """The session for a right email and password; raises LoginError otherwise.

        An unknown email and a wrong password give the same message after the same work
        (a dummy argon2 verify), so neither the text nor the time tells them apart.
        """
        address = clean(address, 64)
        email_n = normalize_email(email)
        own_key = self.names.throttle_key("account", email_n)
        address_key = f"address:{address}" if address else None
        # The account's attempt is counted before the password is checked (and cleared on
        # success), so simultaneous guesses from several sessions cannot outrun the lock.
        wait = wait_seconds(own_key, address_key) or claim(own_key, self.limits.account)
        if wait:
            known = bool(email_n) and Contact.select().where(Contact.email == email_n).exists()
            about = self.names.subject(email_n, known)
            audit("anonymous", "login.throttled", about, {}, address)
            raise LoginError(too_many(wait))

        contact = None
        ok, upgraded = False, None
        if email_n and isinstance(password, str) and len(password) <= PASSWORD_MAX:
            contact = Contact.get_or_none(Contact.email == email_n)
            stored = contact.password_hash if contact is not None else None
            ok, upgraded = self._verify(password, stored)
        if not ok or contact is None:
            if address_key:
                hit(address_key, self.limits.address)
            actor = f"contact:{contact.id}" if contact is not None else "anonymous"
            # What was typed is kept only when it is a login's email (it may be a password).
            about = self.names.subject(email_n, contact is not None)
            audit(actor, "login.failed", about, {}, address)
            raise LoginError(INVALID_LOGIN)
        if contact.disabled:
            # Said only to whoever knows the password, so it tells a stranger nothing.
            audit(f"contact:{contact.id}", "login.refused", subject(email_n), {"disabled": True},
                  address)  # fmt: skip
            raise LoginError(LOGIN_DISABLED)

        updates: dict = {Contact.last_login_at: utcnow()}
        if upgraded:
            updates[Contact.password_hash] = contact.password_hash = upgraded
        Contact.update(updates).where(Contact.id == contact.id).execute()
        clear(own_key)
        audit(
            f"contact:{contact.id}",
            "login.ok",
            subject(email_n),
            {"rehashed": True} if upgraded else {},
            address,
        )
        return session_of(contact)

    # --- recovery (recovery.py) -----------------------------------------------------------

    def request_reset(self, email: str, address: str = "") -> None:
        """Email a one-time recovery code if the email has a login; always answers the same."""
        self.recovery.request_reset(email, address)

    def reset_password(self, email: str, code: str, new_password: str, address: str = "") -> None:
        """Set a new password with an emailed code (ResetError otherwise); does not log in."""
        self.recovery.reset_password(email, code, new_password, address)

    def invite(
        self, contact_id: int, login_command: str, actor: str = "system", address: str = ""
    ) -> bool:
        """Email a login with no password a code to set one; whether the email went out."""
        return self.recovery.invite(Contact.get_by_id(contact_id), login_command, actor, address)

    # --- change password ------------------------------------------------------------------

    def change_password(self, contact_id: int, old: str, new: str, address: str = "") -> None:
        """Change a logged-in person's password; the old one must be right."""
        contact = Contact.get_by_id(contact_id)
        problem = check_password_policy(new)
        if problem:
            raise PasswordChangeError(problem)
        address = clean(address, 64)
        if not self._own_password_ok(contact, old, PasswordChangeError):
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
        audit(f"contact:{contact.id}", "password.changed", subject(contact.email), {}, address)
        self.notices.password_changed(contact, now)

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

    # --- mail ----------------------------------------------------------------------------

    def wait_for_mail(self, timeout: float = 30.0) -> None:
        """Wait until the emails this service queued have been handed to the mailer."""
        self.notices.wait(timeout)
