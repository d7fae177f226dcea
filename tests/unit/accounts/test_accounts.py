"""Accounts: argon2id, password policy, login without enumeration, throttling, audit rows."""

from __future__ import annotations

import hashlib
import logging
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import argon2
import bcrypt
import pytest
import time_machine

from models import AuditLog, Contact, Throttle
from services.accounts.accounts import AccountService
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
)
from services.accounts.passwords import (
    DEFAULT_HASH_POLICY,
    OWASP_MINIMUM,
    HashPolicy,
    check_password_policy,
)
from services.accounts.throttle import ThrottleRule
from services.audit import recent
from services.config import AccountSettings
from services.mail.mailer import Mailer
from tests.fixtures.accounts import PASSWORD

EMAIL = "dana@acme.example"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _is_owasp_argon2id(stored: str) -> bool:
    params = argon2.extract_parameters(stored)
    return params.type is argon2.Type.ID and (
        (params.memory_cost >= 19456 and params.time_cost >= 2) or params.memory_cost >= 47104
    )


def _login_error(accounts: AccountService, email: str, password: str, address: str = "") -> str:
    with pytest.raises(LoginError) as info:
        accounts.login(email, password, address)
    return info.value.message


# --- hashing ------------------------------------------------------------------------------


def test_new_hashes_are_argon2id_at_or_above_the_owasp_minimum(accounts, contact_id):
    stored = Contact.get_by_id(contact_id).password_hash
    assert stored.startswith("$argon2id$")
    assert _is_owasp_argon2id(stored)
    unset = replace(accounts.mailer.config, accounts=AccountSettings())  # no [argon2] table
    default = AccountService(Mailer(unset)).hash_password("a long enough passphrase")
    assert _is_owasp_argon2id(default)
    assert argon2.extract_parameters(default).memory_cost == DEFAULT_HASH_POLICY.memory_cost


def test_weaker_argon2_settings_are_refused():
    with pytest.raises(ValueError, match="below the OWASP minimum"):
        HashPolicy(memory_cost=19456, time_cost=1, parallelism=1)
    with pytest.raises(ValueError):
        HashPolicy(memory_cost=4096, time_cost=3, parallelism=1)
    HashPolicy(memory_cost=47104, time_cost=1, parallelism=1)  # an OWASP-equivalent profile


def test_weaker_settings_from_the_config_are_refused(config, mailer):
    from dataclasses import replace

    from services.config import AccountSettings, Argon2Cost
    from services.mail.mailer import Mailer

    weak = Mailer(replace(config, accounts=AccountSettings(argon2=Argon2Cost(1024, 1, 1))))
    with pytest.raises(ValueError):
        AccountService(weak)


def test_legacy_bcrypt_hash_verifies_and_is_upgraded_to_argon2id(accounts, contact_id):
    legacy = bcrypt.hashpw(b"legacy-secret-pw", bcrypt.gensalt(rounds=10)).decode()
    Contact.update(password_hash=legacy).where(Contact.id == contact_id).execute()

    assert _login_error(accounts, EMAIL, "wrong-secret-pw") == INVALID_LOGIN
    assert Contact.get_by_id(contact_id).password_hash == legacy  # no upgrade on failure

    session = accounts.login(EMAIL, "legacy-secret-pw")
    assert session.contact_id == contact_id
    upgraded = Contact.get_by_id(contact_id).password_hash
    assert upgraded.startswith("$argon2id$") and _is_owasp_argon2id(upgraded)
    assert accounts.login(EMAIL, "legacy-secret-pw").contact_id == contact_id
    assert recent(action="login.ok")[-1].detail == {"rehashed": True}


def test_legacy_bcrypt_never_accepts_a_truncated_password(accounts, contact_id):
    enrolled = "x" * 72
    legacy = bcrypt.hashpw(enrolled.encode(), bcrypt.gensalt(rounds=10)).decode()
    Contact.update(password_hash=legacy).where(Contact.id == contact_id).execute()
    assert _login_error(accounts, EMAIL, enrolled + "-anything") == INVALID_LOGIN
    assert accounts.login(EMAIL, enrolled).contact_id == contact_id


def test_argon2_hash_below_current_policy_is_upgraded(accounts, contact_id):
    old = argon2.PasswordHasher(time_cost=5, memory_cost=7168, parallelism=1).hash(PASSWORD)
    Contact.update(password_hash=old).where(Contact.id == contact_id).execute()
    accounts.login(EMAIL, PASSWORD)
    params = argon2.extract_parameters(Contact.get_by_id(contact_id).password_hash)
    assert (params.memory_cost, params.time_cost) == (19456, 2)


# --- password policy ----------------------------------------------------------------------


def test_password_policy():
    assert check_password_policy("seven77") == "Use at least 8 characters."
    assert check_password_policy("x" * 1025) == "Use at most 1024 characters."
    assert check_password_policy("a" * 1024 + "") is not None  # all one character: too common
    assert check_password_policy("correct horse battery staple, on a long line " * 20) is None
    assert check_password_policy("héllo wörld ☕ kiosk") is None
    for common in ("password", "password123", "Password1!", "qwertyuiop", "12345678", "iloveyou"):
        assert "too common" in check_password_policy(common), common
    assert check_password_policy(None) == "Enter a password."


def test_a_megabyte_password_is_refused_without_hashing(accounts, contact_id, monkeypatch):
    calls = []
    for name in ("hash", "verify", "verify_and_update"):
        real = getattr(accounts.context, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(accounts.context, name, spy)
    huge = "p" * (1 << 20)
    started = time.perf_counter()
    assert check_password_policy(huge) == "Use at most 1024 characters."
    assert _login_error(accounts, EMAIL, huge) == INVALID_LOGIN
    with pytest.raises(AccountError):
        accounts.create_contact(1, None, "big@example.com", huge)
    assert time.perf_counter() - started < 1.0  # three refusals, no argon2 anywhere
    assert calls == []


# --- contacts -----------------------------------------------------------------------------


def test_create_contact_normalises_and_refuses_duplicates(accounts, business, client):
    new_id = accounts.create_contact(business.id, client.id, "  Bo@Bakery.Example ", PASSWORD)
    assert Contact.get_by_id(new_id).email == "bo@bakery.example"
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_contact(business.id, client.id, "BO@bakery.example", PASSWORD)
    with pytest.raises(AccountError, match="valid email"):
        accounts.create_contact(business.id, client.id, "not an email", PASSWORD)
    with pytest.raises(AccountError, match="too common"):
        accounts.create_contact(business.id, client.id, "x@bakery.example", "password1")
    assert accounts.login(" BO@BAKERY.EXAMPLE ", PASSWORD).email == "bo@bakery.example"


# --- login --------------------------------------------------------------------------------


def test_login_returns_the_session_and_audits(accounts, contact_id, business, client):
    session = accounts.login("Dana@Acme.Example", PASSWORD, "203.0.113.5")
    assert (session.contact_id, session.client_id, session.business_id) == (
        contact_id,
        client.id,
        business.id,
    )
    assert (session.email, session.name, session.role) == (EMAIL, "Dana Client", "client")
    assert Contact.get_by_id(contact_id).last_login_at is not None
    [ok] = recent(action="login.ok")
    assert (ok.actor, ok.subject, ok.address) == (
        f"contact:{contact_id}",
        f"email:{EMAIL}",
        "203.0.113.5",
    )


def test_failures_are_audited_without_the_password(accounts, contact_id, caplog):
    caplog.set_level(logging.DEBUG)
    _login_error(accounts, EMAIL, "Wrong-Guess-1", "198.51.100.7")
    _login_error(accounts, "nobody@acme.example", "Wrong-Guess-2", "198.51.100.7")
    failed = recent(action="login.failed")
    unknown = accounts.names.subject("nobody@acme.example", known=False)
    assert [(e.actor, e.subject, e.address) for e in failed] == [
        ("anonymous", unknown, "198.51.100.7"),
        (f"contact:{contact_id}", f"email:{EMAIL}", "198.51.100.7"),
    ]
    everything = caplog.text + repr([e.detail for e in recent()])
    assert "Wrong-Guess" not in everything


def _audit_text() -> str:
    """Every column of every audit row, as one text."""
    rows = AuditLog.select().tuples()
    return repr(list(rows))


def test_a_password_typed_as_the_email_leaves_no_trace_in_the_audit(accounts, contact_id, caplog):
    caplog.set_level(logging.DEBUG, logger="paydesk")  # the audit's log lines too
    typed = "Hunter2-Secret-Pass"
    for _ in range(12):  # failures, then throttled ones
        _login_error(accounts, typed, "", "198.51.100.7")
    accounts.request_reset(typed, "198.51.100.7")
    with pytest.raises(AccountError):
        accounts.reset_password(typed, "abcd-efgh-jkmn", "a new long passphrase")
    actions = {e.action for e in recent()}
    assert {"login.failed", "login.throttled", "password.reset_requested"} <= actions
    everything = _audit_text() + caplog.text
    assert typed.lower() not in everything.lower()
    # The same unknown name gives the same keyed hash (so repeated tries show), another not.
    subjects = {e.subject for e in recent(action="login.")}
    assert subjects == {accounts.names.subject(typed.lower(), known=False)}
    assert accounts.names.subject("other", known=False) not in subjects
    key = accounts.names.path
    assert key.parent == accounts.mailer.config.home and key.stat().st_mode & 0o777 == 0o600
    # Nor a plain hash a guess could be checked against, in the audit or the throttle rows.
    throttles = repr(list(Throttle.select().tuples()))
    assert hashlib.sha256(typed.lower().encode()).hexdigest()[:32] not in everything + throttles


def test_disabled_contact_cannot_log_in(accounts, contact_id):
    """The right password hears that the login is disabled; a wrong one hears what anyone
    does, so a stranger learns nothing."""
    Contact.update(disabled=True).where(Contact.id == contact_id).execute()
    assert _login_error(accounts, EMAIL, PASSWORD) == LOGIN_DISABLED
    assert _login_error(accounts, EMAIL, "not the password") == INVALID_LOGIN
    assert recent(action="login.refused")[0].actor == f"contact:{contact_id}"


def test_unknown_email_and_wrong_password_look_the_same(accounts, contact_id):
    """Same text, and median time within 10% over 100 tries each (interleaved).

    The machine is shared, so a round disturbed by other work is measured again (up to
    three rounds); a real difference, such as skipping the dummy verify (a tenfold gap),
    fails every round.
    """
    generous = ThrottleRule(10_000, timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
    quiet = AccountService(
        accounts.mailer, hash_policy=OWASP_MINIMUM, limits=Limits(generous, generous)
    )
    cases = {"unknown": ("nobody@acme.example", PASSWORD), "wrong": (EMAIL, "not-the-password")}
    messages: set[str] = set()
    for _ in range(3):  # warm-up: caches, connection, the lazily built dummy hash
        for email, password in cases.values():
            messages.add(_login_error(quiet, email, password, "192.0.2.1"))
    rounds = []
    for _ in range(3):
        times: dict[str, list[float]] = {"unknown": [], "wrong": []}
        for i in range(100):
            for kind in ("unknown", "wrong") if i % 2 else ("wrong", "unknown"):
                email, password = cases[kind]
                started = time.perf_counter()
                messages.add(_login_error(quiet, email, password, "192.0.2.1"))
                times[kind].append(time.perf_counter() - started)
        unknown, wrong = statistics.median(times["unknown"]), statistics.median(times["wrong"])
        rounds.append((unknown, wrong))
        print(f"median unknown={unknown * 1000:.2f}ms wrong={wrong * 1000:.2f}ms")
        if abs(unknown - wrong) / max(unknown, wrong) < 0.10:
            break
    else:
        raise AssertionError(f"timing differs by more than 10% in every round: {rounds}")
    assert messages == {INVALID_LOGIN}


# --- throttling ---------------------------------------------------------------------------


def test_account_throttle_follows_the_account_to_a_new_address(accounts, contact_id):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(6):  # five free failures, the sixth starts a one-minute lock
            assert _login_error(accounts, EMAIL, f"bad-guess-{n}", f"10.0.0.{n}") == INVALID_LOGIN
        message = _login_error(accounts, EMAIL, PASSWORD, "10.9.9.9")
        assert message == "Too many attempts. Try again in 1 minute."
        assert recent(action="login.throttled")[0].address == "10.9.9.9"

        clock.shift(timedelta(seconds=61))
        assert _login_error(accounts, EMAIL, "bad-guess-7", "10.1.1.1") == INVALID_LOGIN
        assert _login_error(accounts, EMAIL, PASSWORD, "10.1.1.2") == (
            "Too many attempts. Try again in 2 minutes."
        )
        clock.shift(timedelta(minutes=2, seconds=1))
        assert _login_error(accounts, EMAIL, "bad-guess-8", "10.1.1.1") == INVALID_LOGIN
        assert "4 minutes" in _login_error(accounts, EMAIL, PASSWORD, "10.1.1.3")

        clock.shift(timedelta(minutes=4, seconds=1))  # the window has passed
        assert accounts.login(EMAIL, PASSWORD, "10.1.1.4").contact_id == contact_id
        # Success clears the account's counter: the next mistake is a free one again.
        assert _login_error(accounts, EMAIL, "bad-guess-9") == INVALID_LOGIN
        assert accounts.login(EMAIL, PASSWORD).contact_id == contact_id


def test_unknown_emails_are_throttled_like_real_ones(accounts, contact_id):
    with time_machine.travel(T0, tick=False):
        for n in range(6):
            _login_error(accounts, "ghost@acme.example", f"bad-guess-{n}")
        assert _login_error(accounts, "ghost@acme.example", "x" * 8).startswith("Too many")


def test_address_throttle_spans_accounts(accounts, contact_id, business, client):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(21):  # 20 free failures per address, spread over many emails
            _login_error(accounts, f"user{n}@example.com", "whatever-pw", "198.51.100.66")
        message = _login_error(accounts, EMAIL, PASSWORD, "198.51.100.66")
        assert message == "Too many attempts. Try again in 1 minute."
        # Another address is not affected, and the account itself was never touched.
        assert accounts.login(EMAIL, PASSWORD, "198.51.100.67").contact_id == contact_id
        clock.shift(timedelta(minutes=1, seconds=1))
        assert accounts.login(EMAIL, PASSWORD, "198.51.100.66").contact_id == contact_id


def test_throttle_keys_hold_no_email(accounts, contact_id):
    _login_error(accounts, EMAIL, "bad-guess-1", "10.0.0.1")
    keys = [row.key for row in Throttle.select()]
    assert sorted(k.split(":")[0] for k in keys) == ["account", "address"]
    assert not any(EMAIL in k for k in keys)


# --- change password ----------------------------------------------------------------------


def test_change_password(accounts, contact_id, mailer):
    with pytest.raises(PasswordChangeError) as info:
        accounts.change_password(contact_id, "not-my-password", "brand new secret")
    assert info.value.message == WRONG_CURRENT
    with pytest.raises(PasswordChangeError, match="too common"):
        accounts.change_password(contact_id, PASSWORD, "password123")
    accounts.change_password(contact_id, PASSWORD, "brand new secret", "203.0.113.5")
    assert _login_error(accounts, EMAIL, PASSWORD) == INVALID_LOGIN
    assert accounts.login(EMAIL, "brand new secret").contact_id == contact_id
    [changed] = recent(action="password.changed")
    assert changed.actor == f"contact:{contact_id}" and changed.address == "203.0.113.5"
    accounts.wait_for_mail()
    [notice] = [m for m in mailer.outbox_messages() if "was changed" in m["Subject"]]
    assert notice["To"] == EMAIL
    assert "brand new secret" not in notice.as_string()


def test_owner_can_see_and_clear_a_lock(accounts, contact_id):
    with time_machine.travel(T0, tick=False):
        for n in range(6):
            _login_error(accounts, EMAIL, f"bad-guess-{n}")
        assert 0 < accounts.locked_for(contact_id) <= 60
        accounts.unlock(contact_id, actor="contact:99")
        assert accounts.locked_for(contact_id) == 0
        assert accounts.login(EMAIL, PASSWORD).contact_id == contact_id
        assert recent(action="login.unlocked")[0].actor == "contact:99"


def test_a_password_change_or_disable_ends_other_sessions(accounts, contact_id):
    kiosk_a = accounts.login(EMAIL, PASSWORD)
    kiosk_b = accounts.login(EMAIL, PASSWORD)
    assert accounts.still_valid(kiosk_a) and accounts.still_valid(kiosk_b)
    accounts.change_password(contact_id, PASSWORD, "brand new secret")
    assert not accounts.still_valid(kiosk_a) and not accounts.still_valid(kiosk_b)
    fresh = accounts.login(EMAIL, "brand new secret")
    assert accounts.still_valid(fresh)
    Contact.update(disabled=True).where(Contact.id == contact_id).execute()
    assert not accounts.still_valid(fresh)
    assert accounts.session_ended(fresh) == ENDED_DISABLED
    assert accounts.session_ended(kiosk_a) == ENDED_DISABLED
    Contact.update(disabled=False).where(Contact.id == contact_id).execute()
    assert accounts.session_ended(fresh) is None
    assert accounts.session_ended(kiosk_a) == ENDED_PASSWORD
    Contact.delete().where(Contact.id == contact_id).execute()
    assert accounts.session_ended(fresh) == ENDED_REMOVED


def test_housekeeping_drops_stale_counters_and_old_codes(accounts, contact_id):
    from models import PasswordReset

    with time_machine.travel(T0, tick=False) as clock:
        _login_error(accounts, "ghost@acme.example", "bad-guess-1", "10.0.0.1")
        accounts.request_reset(EMAIL)
        accounts.wait_for_mail()
        assert Throttle.select().count() == 3 and PasswordReset.select().count() == 1
        assert accounts.housekeeping() == 0
        clock.shift(timedelta(days=8))
        assert accounts.housekeeping() == 4
        assert Throttle.select().count() == 0 and PasswordReset.select().count() == 0


def test_parallel_guesses_cannot_outrun_the_account_throttle(accounts, contact_id):
    """Guesses sent at once (several sessions) are counted before the password is checked:
    with 2 free failures, 8 simultaneous wrong guesses get 3 checked (the third starts the
    lock), not 8. Checking the lock, verifying for 50 ms and only then counting let every
    guess of a burst through."""
    import threading

    from models import db

    rule = ThrottleRule(2, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))
    roomy = ThrottleRule(1000, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))
    strict = AccountService(accounts.mailer, hash_policy=OWASP_MINIMUM, limits=Limits(rule, roomy))
    strict.login(EMAIL, PASSWORD)  # warm up (the dummy hash, connections)
    barrier = threading.Barrier(8)
    answers: list[str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        try:
            barrier.wait()
            message = _login_error(strict, EMAIL, f"wrong-guess-{n}", f"10.2.0.{n}")
            with lock:
                answers.append(message)
        finally:
            db.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == 8
    assert answers.count(INVALID_LOGIN) == 3, answers
    assert all(a.startswith("Too many") for a in answers if a != INVALID_LOGIN)
    assert _login_error(strict, EMAIL, PASSWORD).startswith("Too many")
