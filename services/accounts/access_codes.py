"""[View Invoice] access codes: one code opens one invoice; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from models import AccessCode, Invoice, db, utcnow, write_lock
from models.bulk_rows import insert_rows
from models.states import InvoiceStatus
from services.accounts import access_codes_sql
from services.accounts.throttle import ThrottleRule, hit, too_many, wait_seconds
from services.audit import audit, audit_many, clean

# Crockford's base32: digits and lowercase letters without i, l, o, u, so a code survives
# being read aloud, typed as an ssh user name (`view-CODE@host`) and put in a URL.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_CHARS = 28  # 28 × 5 = 140 random bits
GROUP = 4
VALID_DAYS_AFTER_DUE = 60
# Wrong codes from one address: 10 an hour free, then a lock from 1 minute doubling to 1 hour.
ADDRESS_RULE = ThrottleRule(10, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))
# A code's repeated use is not written again each time (every page of the web side checks
# the code; reloads and mail scanners repeat them): `last_used_at` moves when it is a minute
# old, and a use is audited once per code and address every USE_AUDIT_EVERY in a process.
# Refusals and throttling are always counted and audited; paying is audited on its own path.
LAST_USED_STEP = timedelta(minutes=1)
USE_AUDIT_EVERY = timedelta(minutes=10)
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_SEPARATORS = str.maketrans("", "", " -_.\t")


@dataclass(frozen=True)
class CodeAccess:
    """What a valid code opens: one invoice of one client."""

    invoice_id: int
    client_id: int
    business_id: int
    contact_id: int | None = None


def normalize(code: str) -> str | None:
    """The canonical grouped form of a code typed or pasted any way (case, spaces, hyphens,
    `view-CODE`, an `ssh://view-CODE@host:port` link), or None."""
    if not isinstance(code, str) or len(code) > 200:
        return None
    raw = code.strip().lower()
    # A pasted link: ssh://view-CODE@host or ssh://view-CODE@host:2222 (or view-CODE@host).
    raw = raw.removeprefix("ssh://").split("@", 1)[0]
    if raw.startswith("view-"):
        raw = raw[5:]
    raw = raw.translate(_SEPARATORS).translate(_LOOKALIKES)
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def address_key(address: str) -> str:
    """The throttle key of the address codes come from ("" for none)."""
    address = clean(address, 64)
    return f"code-address:{address}" if address else ""


def new_code() -> str:
    """A fresh code: 28 symbols of 5 random bits each (140 bits), grouped by four."""
    raw = "".join(ALPHABET[b & 31] for b in secrets.token_bytes(CODE_CHARS))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def default_expiry(due: date, now: datetime) -> datetime:
    """The end of the due date + 60 days, but never sooner than 60 days from now (a reminder
    for a long-overdue invoice must carry a working code)."""
    due_end = datetime.combine(due, time()) + timedelta(days=1)
    return max(
        due_end + timedelta(days=VALID_DAYS_AFTER_DUE),
        now + timedelta(days=VALID_DAYS_AFTER_DUE),
    )


def code_hash(code: str) -> str:
    """SHA-256 (hex) of the canonical code; what the database keeps."""
    return hashlib.sha256(code.replace("-", "").encode("ascii")).hexdigest()


class AccessCodeService:
    """Creates, checks and revokes the codes in [View Invoice] emails."""

    def __init__(self) -> None:
        self._audited: dict[tuple[str, str], datetime] = {}  # (code hash, address) -> when
        self._audited_lock = threading.Lock()

    def create(
        self,
        invoice_id: int,
        contact_id: int | None = None,
        expires_at: datetime | None = None,
        actor: str = "system",
        detail: dict[str, Any] | None = None,
    ) -> str:
        """A new code for the invoice; the plain code is returned once and never stored
        (nor audited: the audit row names the invoice, `actor` and `detail`).

        Default expiry: the end of the invoice's due date + 60 days, but never sooner than
        60 days from now (a reminder for a long-overdue invoice must carry a working code).
        """
        invoice = Invoice.get_by_id(invoice_id)
        if expires_at is None:
            expires_at = default_expiry(invoice.due_date, utcnow())
        code = new_code()
        AccessCode.create(
            invoice=invoice_id,
            contact=contact_id,
            code_hash=code_hash(code),
            expires_at=expires_at,
        )
        details = {"contact": contact_id, "expires_at": expires_at.isoformat(timespec="seconds")}
        audit(actor, "access_code.created", f"invoice:{invoice_id}", {**details, **(detail or {})})
        return code

    def store_many(self, entries: Sequence[tuple[str, int, int | None, date]]) -> None:
        """Store codes made with `new_code()`: (code, invoice id, contact id, due date).

        The same rows, expiry and audit rows as `create`, in two statements for a batch.
        """
        now = utcnow()
        rows: list[dict[str, Any]] = []
        audits: list[tuple[str, dict]] = []
        for code, invoice_id, contact_id, due in entries:
            expires = default_expiry(due, now)
            rows.append(
                {
                    "invoice": invoice_id,
                    "contact": contact_id,
                    "code_hash": code_hash(code),
                    "expires_at": expires,
                    "created_at": now,
                }
            )
            audits.append(
                (
                    f"invoice:{invoice_id}",
                    {"contact": contact_id, "expires_at": expires.isoformat(timespec="seconds")},
                )
            )
        insert_rows(AccessCode, rows)
        audit_many("system", "access_code.created", audits)

    def verify(self, code: str, address: str = "") -> CodeAccess | None:
        """The invoice a code opens, or None if it is wrong, expired, revoked or voided.

        The lookup is by SHA-256 of the code, so no comparison ever runs on the secret
        itself; the stored digest is compared in constant time as well. With `address`,
        use and refusal are audited and wrong codes are throttled per address: while
        throttled every code gives None (`throttled(address)` has the message to show).
        """
        address = clean(address, 64)
        key = address_key(address) or None
        canonical = normalize(code)
        digest = code_hash(canonical) if canonical else "0" * 64
        now = utcnow()
        if key and access_codes_sql.locked(key, now):
            audit("anonymous", "access_code.throttled", "", {"prefix": digest[:8]}, address)
            return None
        row, invoice = access_codes_sql.code_and_invoice(digest)
        if (
            row is None
            or invoice is None
            or not hmac.compare_digest(row.code_hash, digest)
            or row.revoked_at is not None
            or row.expires_at <= now
            or invoice.status == InvoiceStatus.VOID
        ):
            if key:
                hit(key, ADDRESS_RULE)
                audit("anonymous", "access_code.rejected", "", {"prefix": digest[:8]}, address)
            return None
        self.note_use(row, digest, int(invoice.id), address, now)
        return CodeAccess(
            invoice_id=int(invoice.id),
            client_id=int(invoice.client_id),
            business_id=int(invoice.business_id),
            contact_id=row.contact_id,
        )

    def note_use(
        self, row: AccessCode, digest: str, invoice_id: int, address: str, now: datetime
    ) -> None:
        """`last_used_at` and the `access_code.used` row, each only when due (see
        LAST_USED_STEP, USE_AUDIT_EVERY): a repeated GET writes nothing. `address` as
        cleaned by `verify` (`clean(address, 64)`)."""
        stale, due = self._notes_due(row, digest, address, now)
        if not (stale or due):
            return
        seen = (digest, address)
        with write_lock():
            if stale:
                AccessCode.update(last_used_at=now).where(AccessCode.id == row.id).execute()
            if due:
                actor = f"code:{digest[:8]}"
                audit(actor, "access_code.used", f"invoice:{invoice_id}", {}, address)
        if due:
            with self._audited_lock:
                if len(self._audited) > 10_000:  # forget the old ones
                    old = [k for k, at in self._audited.items() if now - at >= USE_AUDIT_EVERY]
                    for key in old:
                        del self._audited[key]
                self._audited[seen] = now

    def use_noted(self, row: AccessCode, digest: str, address: str, now: datetime) -> bool:
        """True when `note_use` would write nothing (memory only: for the event loop)."""
        return not any(self._notes_due(row, digest, address, now))

    def _notes_due(
        self, row: AccessCode, digest: str, address: str, now: datetime
    ) -> tuple[bool, bool]:
        stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP
        audited = self._audited.get((digest, address))
        due = bool(address) and (audited is None or now - audited >= USE_AUDIT_EVERY)
        return stale, due

    def throttled(self, address: str) -> str | None:
        """ "Too many attempts. Try again in N minutes." while an address is throttled."""
        wait = wait_seconds(address_key(address)) if address else 0.0
        return too_many(wait) if wait else None

    def revoke_for_invoice(self, invoice_id: int, actor: str = "system") -> int:
        """Revoke every live code of an invoice (it was voided or re-issued); returns count."""
        with db.atomic():
            count = (
                AccessCode.update(revoked_at=utcnow())
                .where((AccessCode.invoice == invoice_id) & AccessCode.revoked_at.is_null())
                .execute()
            )
            if count:
                audit(actor, "access_code.revoked", f"invoice:{invoice_id}", {"count": count})
        return int(count)

    def rotate(self, invoice_id: int, contact_id: int | None = None, actor: str = "system") -> str:
        """Revoke the invoice's codes and create a fresh one ("resend with a new link")."""
        with db.atomic():
            self.revoke_for_invoice(invoice_id, actor)
            return self.create(invoice_id, contact_id)

    def active_count(self, invoice_id: int) -> int:
        return (
            AccessCode.select()
            .where(
                (AccessCode.invoice == invoice_id)
                & AccessCode.revoked_at.is_null()
                & (AccessCode.expires_at > utcnow())
            )
            .count()
        )
