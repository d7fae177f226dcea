"""[View Invoice] access codes: format, hashing at rest, expiry, revocation, normalising."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import time_machine

from models import AccessCode, Invoice
from services.accounts.access_codes import (
    ALPHABET,
    CODE_CHARS,
    AccessCodeService,
    CodeAccess,
    code_hash,
    normalize,
)
from services.audit import recent
from services.invoices.invoices import InvoiceService
from tests.fixtures.accounts import database_text

CODE_SHAPE = re.compile(r"^[0-9a-z]{4}(-[0-9a-z]{4}){6}$")
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # the invoice is due 2026-11-15


def test_codes_have_at_least_128_bits_and_never_repeat(invoice_id):
    assert CODE_CHARS * math.log2(len(ALPHABET)) >= 128
    service = AccessCodeService()
    codes = [service.create(invoice_id) for _ in range(300)]
    assert len(set(codes)) == 300 and all(CODE_SHAPE.match(c) for c in codes)
    # Every symbol of the alphabet turns up: the characters are drawn uniformly.
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)


def test_create_returns_a_code_that_works_as_ssh_user_url_and_speech(invoice_id, business, client):
    service = AccessCodeService()
    code = service.create(invoice_id)
    assert CODE_SHAPE.match(code), code
    assert quote(f"view-{code}") == f"view-{code}"  # nothing to escape in a URL or user name
    assert not set(code.replace("-", "")) & set("ilou")  # no look-alikes to read aloud
    assert service.verify(code) == CodeAccess(invoice_id, client.id, business.id, None)


def test_only_the_sha256_is_stored(invoice_id, db_url):
    codes = [AccessCodeService().create(invoice_id) for _ in range(3)]
    stored = {row.code_hash for row in AccessCode.select()}
    assert stored == {code_hash(c) for c in codes}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
    text = database_text(db_url)
    for code in codes:
        assert code not in text and code.replace("-", "") not in text
    # A digest read from a stolen database does not open anything.
    assert AccessCodeService().verify(next(iter(stored))) is None


def test_normalize_tolerates_how_people_type_it():
    code = "0dnq-xhkx-4ef9-dv4x-b16s-6vgz-acnf"
    variants = [
        code.upper(),
        code.replace("-", ""),
        code.replace("-", " "),
        f"  {code}  ",
        f"view-{code}",
        "0DNQ XHKX 4EF9 DV4X B16S 6VGZ ACNF",
        code.replace("0", "o").replace("1", "l"),  # read aloud: oh / ell
        f"ssh://view-{code}@billing.example.com",  # the email's link, pasted
        f"ssh://view-{code}@billing.example.com:2222",
        f"view-{code}@127.0.0.1",
    ]
    assert all(normalize(v) == code for v in variants)
    bad_links = (f"ssh://{code}x@host", "ssh://view-@host", f"ssh://host/view-{code}")
    for bad in ("", "abc", code + "a", code.replace("a", "u"), "x" * 500, None, *bad_links):
        assert normalize(bad) is None  # type: ignore[arg-type]


def test_verify_accepts_typed_variants_and_refuses_wrong_codes(invoice_id):
    service = AccessCodeService()
    code = service.create(invoice_id)
    assert service.verify(code.upper().replace("-", "")).invoice_id == invoice_id
    assert service.verify(code[:-1] + ("0" if code[-1] != "0" else "1")) is None
    assert service.verify("") is None and service.verify("not a code") is None


def test_default_expiry_is_due_date_plus_60_days(invoice_id):
    with time_machine.travel(T0, tick=False) as clock:
        service = AccessCodeService()
        code = service.create(invoice_id)
        assert AccessCode.get().expires_at == datetime(2027, 1, 15)  # end of 2026-11-15 + 60 d
        clock.move_to(datetime(2027, 1, 14, 23, 59, tzinfo=UTC))
        assert service.verify(code) is not None
        clock.move_to(datetime(2027, 1, 15, 0, 0, 1, tzinfo=UTC))
        assert service.verify(code) is None


def test_code_for_a_long_overdue_invoice_still_lasts_60_days(invoice_id):
    with time_machine.travel(datetime(2027, 6, 1, tzinfo=UTC), tick=False) as clock:
        service = AccessCodeService()
        code = service.create(invoice_id)
        clock.shift(timedelta(days=59))
        assert service.verify(code) is not None
        clock.shift(timedelta(days=2))
        assert service.verify(code) is None


def test_explicit_expiry(invoice_id):
    with time_machine.travel(T0, tick=False) as clock:
        service = AccessCodeService()
        code = service.create(invoice_id, expires_at=datetime(2026, 11, 3))
        assert service.verify(code) is not None
        clock.shift(timedelta(days=1))
        assert service.verify(code) is None


def test_revoke_for_invoice_and_void(invoice_id, client):
    service = AccessCodeService()
    first, second = service.create(invoice_id), service.create(invoice_id)
    assert service.revoke_for_invoice(invoice_id, actor="cli") == 2
    assert service.verify(first) is None and service.verify(second) is None
    assert service.revoke_for_invoice(invoice_id) == 0
    assert recent(action="access_code.revoked")[0].detail == {"count": 2}

    # Voiding the invoice makes a fresh code useless too.
    third = service.create(invoice_id)
    InvoiceService().void(invoice_id, "cli")
    assert Invoice.get_by_id(invoice_id).status == "void"
    assert service.verify(third) is None


def test_rotate_replaces_the_old_code(invoice_id):
    service = AccessCodeService()
    old = service.create(invoice_id)
    new = service.rotate(invoice_id)
    assert service.verify(old) is None and service.verify(new) is not None
    assert service.active_count(invoice_id) == 1


def test_use_is_audited_with_a_hash_prefix_never_the_code(invoice_id):
    service = AccessCodeService()
    code = service.create(invoice_id)
    service.verify(code, address="203.0.113.8")
    service.verify("0000-0000-0000-0000-0000-0000-0000", address="203.0.113.8")
    [used] = recent(action="access_code.used")
    assert used.subject == f"invoice:{invoice_id}" and used.address == "203.0.113.8"
    assert used.actor == f"code:{code_hash(code)[:8]}"
    assert recent(action="access_code.rejected")
    everything = repr(recent())
    assert code not in everything and code.replace("-", "") not in everything
    assert AccessCode.get().last_used_at is not None


def test_a_repeated_use_is_written_once_a_minute_and_audited_once_per_address(invoice_id):
    service = AccessCodeService()
    code = service.create(invoice_id)

    def used() -> list:
        return recent(action="access_code.used", limit=100)

    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):  # reloads, a mail scanner, the client: one row
            assert service.verify(code, address="203.0.113.8") is not None
        first = AccessCode.get().last_used_at
        assert len(used()) == 1
        clock.shift(timedelta(seconds=30))
        assert service.verify(code, address="203.0.113.8") is not None
        assert AccessCode.get().last_used_at == first and len(used()) == 1
        assert service.verify(code, address="198.51.100.9") is not None  # another address
        assert len(used()) == 2
        clock.shift(timedelta(seconds=31))
        assert service.verify(code, address="203.0.113.8") is not None
        assert AccessCode.get().last_used_at > first and len(used()) == 2
        clock.shift(timedelta(minutes=10))
        assert service.verify(code, address="203.0.113.8") is not None
        assert len(used()) == 3
        assert AccessCodeService().verify(code, address="203.0.113.8")  # another process
        assert len(used()) == 4


def test_wrong_codes_are_throttled_per_address(invoice_id):
    service = AccessCodeService()
    code = service.create(invoice_id)
    wrong = "0000-0000-0000-0000-0000-0000-0000"
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(11):  # ten free an hour, the eleventh starts a one-minute lock
            assert service.verify(wrong, address="198.51.100.4") is None
        assert service.throttled("198.51.100.4") == "Too many attempts. Try again in 1 minute."
        assert service.verify(code, address="198.51.100.4") is None  # even the right one
        assert recent(action="access_code.throttled")
        # Another address, and callers that give no address, are not affected.
        assert service.throttled("198.51.100.5") is None
        assert service.verify(code, address="198.51.100.5") is not None
        clock.shift(timedelta(minutes=1, seconds=1))
        assert service.throttled("198.51.100.4") is None
        assert service.verify(code, address="198.51.100.4") is not None
