"""The append-only audit trail, and scrubbing of secrets and card numbers from log text."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from models import AuditLog, utcnow
from models.bulk_rows import insert_rows
from services import audit_sql

log = logging.getLogger("paydesk.audit")

MAX_FIELD = 255
MAX_DETAIL = 8000
REDACTED = "[redacted]"

# Keys whose values never belong in an audit row or a log line, whatever the caller passed.
SECRET_KEYS = re.compile(
    r"^(.*_)?(password|passwd|secret|token|api_?key|cvc|cvv|pan|card_?number|otp|pin)$"
    r"|^(recovery_|access_|reset_|one_time_)?code$",
    re.IGNORECASE,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


# Text that needs no cleaning: letters, ":.@/-" and at most 12 digits in all (so no card
# number), no spaces or control characters, and no "_" (so no Stripe key or webhook secret)
# but the one after a Stripe object's prefix (pi_…, cus_…: ids of intents, customers, …).
_PLAIN = re.compile(
    r"(?:(?:pi|pm|cus|ch|py|re|evt|seti|in|sub|cs|txn|src|card|tok)_)?"
    r"[A-Za-z:.@/-]*(?:[0-9][A-Za-z:.@/-]*){0,12}"
)


def clean(value: object, limit: int = MAX_FIELD) -> str:
    """One printable line: CR/LF and control characters escaped, secrets scrubbed, length capped."""
    text = str(value)
    if len(text) <= limit and _PLAIN.fullmatch(text):
        return text  # the common case (actors, actions, references): nothing to scrub
    text = redact(text)
    text = _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=512)
def _secret_key(key: str) -> bool:
    return bool(SECRET_KEYS.search(key))


def _clean_detail(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        return "…"
    if isinstance(value, dict):
        return {
            clean(k, 64): REDACTED
            if _secret_key(str(k)) and value[k] not in (None, "", 0, False)
            else _clean_detail(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_detail(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean(value, 1000)


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # built once, not per row


def _entry(actor: str, action: str, subject: str, detail: dict | None, address: str) -> tuple:
    """(actor, action, subject, detail JSON, address) of one row, every field cleaned."""
    payload = _JSON.encode(_clean_detail(detail or {}))
    if len(payload) > MAX_DETAIL:
        payload = _JSON.encode({"truncated": payload[: MAX_DETAIL - 100]})
    return clean(actor or "unknown"), clean(action), clean(subject), payload, clean(address, 64)


def _log_entry(entry: tuple) -> None:
    actor, action, subject, payload, address = entry
    log.info(
        "audit actor=%s action=%s subject=%s address=%s detail=%s",
        actor,
        action,
        subject,
        address,
        payload,
    )


def audit(
    actor: str,
    action: str,
    subject: str = "",
    detail: dict | None = None,
    address: str = "",
) -> None:
    """Append one audit row: who (`contact:12`, `system`, `cli`), did what, to which thing.

    User-supplied text is neutralised (no CR/LF or terminal control characters), keys that
    look like secrets are replaced by "[redacted]" and card numbers or Stripe keys are
    scrubbed, so the row and the matching log line are always safe to show.
    """
    entry = _entry(actor, action, subject, detail, address)
    audit_sql.insert_row(utcnow(), entry)
    _log_entry(entry)


def audit_many(actor: str, action: str, entries: Iterable[tuple[str, dict]]) -> int:
    """`audit()` for a batch of (subject, detail) with one actor and action, in one statement
    (the billing run); returns how many rows were written."""
    at = utcnow()
    cleaned = [_entry(actor, action, subject, detail, "") for subject, detail in entries]
    if not cleaned:
        return 0
    names = ("actor", "action", "subject", "detail", "source_address")
    insert_rows(AuditLog, [{"at": at, **dict(zip(names, e, strict=True))} for e in cleaned])
    if log.isEnabledFor(logging.INFO):
        for entry in cleaned:
            _log_entry(entry)
    return len(cleaned)


def before_after(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """{"field": [before, after]} of the fields of `after` whose value differs from `before`
    (only those): the `changes` an audit row of an edit carries, in this one shape.

    >>> before_after({"name": "Acme", "email": "a@x"}, {"name": "Acme Ltd", "email": "a@x"})
    {'name': ['Acme', 'Acme Ltd']}
    """
    return {
        field: [before.get(field), value]
        for field, value in after.items()
        if before.get(field) != value
    }


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as plain data, for the admin console and tests."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict
    address: str


def recent(
    limit: int = 100,
    offset: int = 0,
    action: str | None = None,
    actor: str | None = None,
    subject: str | None = None,
) -> list[AuditEntry]:
    """Newest first; optionally only one action (or an action prefix ending in '.')."""
    query = AuditLog.select().order_by(AuditLog.id.desc())
    if action:
        if action.endswith("."):
            query = query.where(AuditLog.action.startswith(action))
        else:
            query = query.where(AuditLog.action == action)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if subject:
        query = query.where(AuditLog.subject == subject)
    return [entry_of(row) for row in query.offset(offset).limit(limit)]


def entry_of(row: AuditLog) -> AuditEntry:
    """An audit row as plain data."""
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=json.loads(row.detail or "{}"),
        address=row.source_address,
    )


# --- log redaction ---------------------------------------------------------------------------

# Not after a letter or digit; after "_" it is still a key ("x_sk_live_…").
_STRIPE_KEY = re.compile(r"(?<![0-9A-Za-z])((?:sk|rk)_(?:live|test))_[0-9A-Za-z]+")
_WEBHOOK_SECRET = re.compile(r"(?<![0-9A-Za-z])whsec_[0-9A-Za-z+/=]+")
# A run of digits, optionally split by single spaces or hyphens, long enough to be a card.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,}(?![0-9])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _has_card_number(digits: str) -> bool:
    """A 13–19 digit run that passes Luhn; a longer run if any 13–19 digit window does."""
    n = len(digits)
    if n <= 19:
        return luhn_valid(digits)
    return any(
        luhn_valid(digits[start : start + size])
        for size in range(13, min(19, n) + 1)
        for start in range(0, n - size + 1)
    )


def _mask_digits(match: re.Match[str]) -> str:
    run = match.group()
    digits = re.sub(r"[ -]", "", run)
    if len(digits) > 64 or not _has_card_number(digits):
        return run
    return "[card number redacted]"


def redact(text: str) -> str:
    """Scrub Stripe secret keys, webhook secrets and Luhn-valid card numbers from text."""
    if not text:
        return text
    text = _STRIPE_KEY.sub(lambda m: f"{m.group(1)}_{REDACTED}", text)
    text = _WEBHOOK_SECRET.sub(f"whsec_{REDACTED}", text)
    return _DIGIT_RUN.sub(_mask_digits, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a log record in place so its message (and traceback) carry no secrets."""
    if getattr(record, "_paydesk_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep it, the handler reports it
        return record
    scrubbed = redact(message)
    if scrubbed != message:
        record.msg, record.args = scrubbed, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._paydesk_redacted = True
    return record


class RedactingFilter(logging.Filter):
    """A logging filter (for handlers or loggers) that scrubs secrets from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed = False


def install_log_redaction() -> None:
    """Scrub every log record paydesk's process creates, whichever handler writes it.

    Wraps the log-record factory (so handlers added later, such as pytest's, are covered)
    and adds a `RedactingFilter` to the root logger's current handlers. Idempotent.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    _installed = True
