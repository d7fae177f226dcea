"""The audit trail: append-only rows, neutralised input, no secrets; log redaction."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import time_machine

from models import AuditLog
from services.audit import audit, clean, install_log_redaction, luhn_valid, recent, redact

CARD = "4242424242424242"
SK = "sk_live_51AbCdEfGhIjKlMnOpQrStUv"


def test_row_records_who_what_subject_detail_address_and_utc_time(database):
    with time_machine.travel(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), tick=False):
        audit("contact:7", "autobill.disabled", "recurring:3", {"was": True}, "203.0.113.9")
    row = AuditLog.get()
    assert (row.actor, row.action, row.subject, row.source_address) == (
        "contact:7",
        "autobill.disabled",
        "recurring:3",
        "203.0.113.9",
    )
    assert json.loads(row.detail) == {"was": True}
    assert row.at == datetime(2026, 11, 25, 9, 30)  # naive UTC
    [entry] = recent()
    assert entry.detail == {"was": True} and entry.address == "203.0.113.9"


def test_recent_is_newest_first_and_filters(database):
    audit("cli", "invoice.created", "INV-1")
    audit("contact:1", "login.ok", "email:a@b.example")
    audit("contact:1", "login.failed", "email:a@b.example")
    assert [e.action for e in recent()] == ["login.failed", "login.ok", "invoice.created"]
    assert [e.action for e in recent(action="login.")] == ["login.failed", "login.ok"]
    assert [e.action for e in recent(actor="cli")] == ["invoice.created"]


def test_cr_lf_and_terminal_controls_are_neutralised(database, caplog):
    caplog.set_level(logging.INFO, logger="paydesk.audit")
    evil = "evil\r\n2026-01-01 admin login ok\x1b[2J\x07"
    audit(evil, "login.failed", evil, {"name": evil}, "1.2.3.4\n")
    row = AuditLog.get()
    for value in (row.actor, row.subject, row.source_address, row.detail):
        assert "\n" not in value and "\r" not in value and "\x1b" not in value
    assert row.actor == "evil\\r\\n2026-01-01 admin login ok\\x1b[2J\\x07"
    assert json.loads(row.detail)["name"] == row.actor
    [record] = [r for r in caplog.records if r.name == "paydesk.audit"]
    assert "\n" not in record.getMessage() and "\x1b" not in record.getMessage()


def test_secrets_never_reach_the_row(database):
    audit(
        "contact:1",
        "password.changed",
        f"card {CARD}",
        {
            "password": "hunter2-hunter2",
            "recovery_code": "abcd-efgh-jkmn",
            "client_secret": "pi_1_secret_2",
            "decline_code": "insufficient_funds",
            "note": f"key {SK} card 4242 4242 4242 4242",
        },
    )
    row = AuditLog.get()
    text = row.subject + row.detail
    for secret in ("hunter2", "abcd-efgh-jkmn", "pi_1_secret_2", SK, CARD, "4242 4242"):
        assert secret not in text
    assert json.loads(row.detail)["decline_code"] == "insufficient_funds"


@pytest.mark.parametrize(
    "text",
    [
        f"charging {CARD} now",
        "pan=4000-0000-0000-0341;",
        "amex 378282246310005",
        "visa13 4222222222222",
        "19 digits 4000000000000000006",
        f"Authorization: Bearer {SK}",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "rk_live_abcdef123",
        "secret whsec_AbC123+/= here",
    ],
)
def test_redact_scrubs_keys_and_luhn_valid_numbers(text):
    out = redact(text)
    assert "sk_live_5" not in out and "sk_test_4" not in out and "rk_live_a" not in out
    assert "whsec_A" not in out
    digits = "".join(c if c.isdigit() else " " for c in out.replace("-", "").replace(" ", ""))
    assert not any(13 <= len(run) <= 19 and luhn_valid(run) for run in digits.split())


def test_redact_keeps_ordinary_numbers():
    text = "invoice INV-0042 total 12500 on 2026-11-25; 1234567812345678 fails Luhn"
    assert not luhn_valid("1234567812345678")
    assert redact(text) == text


def test_installed_redaction_covers_messages_args_and_tracebacks(caplog):
    install_log_redaction()
    install_log_redaction()  # idempotent
    logger = logging.getLogger("paydesk.test")
    caplog.set_level(logging.INFO)
    logger.info("card %s key %s", CARD, SK)
    try:
        raise ValueError(f"stripe said: no such key {SK} for card {CARD}")
    except ValueError:
        logger.exception("request failed")
    text = caplog.text
    assert CARD not in text and SK not in text
    assert "[card number redacted]" in text and "sk_live_[redacted]" in text
    assert "ValueError" in text  # the traceback is kept, only scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payment.attempt", "payment.attempt"),  # plain text passes through untouched
        ("PAY-000123", "PAY-000123"),
        ("4242-4242-4242-4242", "[card number redacted]"),  # 16 digits: never "plain"
        ("4000 0000 0000 0002", "[card number redacted]"),
        ("card:4242424242424242", "card:[card number redacted]"),
        ("rk_test_51Abc", "rk_test_[redacted]"),  # few digits, but a key ("_" is not plain)
        ("whsec_abc", "whsec_[redacted]"),
        ("a\u2028b\x1b[2J", "a\\x2028b\\x1b[2J"),  # line separator, escape
        ("pi_3MtwBwLkdIwHu7ix28a3tqPa", "pi_3MtwBwLkdIwHu7ix28a3tqPa"),  # a Stripe object id
        ("pi_4242424242424242", "pi_[card number redacted]"),  # the prefix excuses no digits
        ("pi_sk_live_51Abc", "pi_sk_live_[redacted]"),  # a key after "_" is still a key
        ("sk_live_51Abc", "sk_live_[redacted]"),  # no object prefix: never plain
    ],
)
def test_clean_scrubs_whatever_is_not_plain(text, expected):
    assert clean(text) == expected
