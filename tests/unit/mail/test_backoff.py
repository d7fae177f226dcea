"""The retry schedule: 1 min, 5, 30, 2 h after each failed try, then failed for good."""

from __future__ import annotations

import smtplib
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from services.accounts.access_codes import new_code
from services.accounts.recovery import new_recovery_code
from services.mail.backoff import DELAYS, MAX_TRIES, next_try, permanent
from services.mail.masking import CODE_HIDDEN, masked

T0 = datetime(2026, 3, 16, 10, 0)


def test_the_docstring_example():
    when = T0
    seen = []
    for tries in range(1, MAX_TRIES + 1):
        nxt = next_try(tries, when)
        seen.append(nxt)
        when = nxt or when
    assert seen == [
        datetime(2026, 3, 16, 10, 1),
        datetime(2026, 3, 16, 10, 6),
        datetime(2026, 3, 16, 10, 36),
        datetime(2026, 3, 16, 12, 36),
        None,
    ]


@given(st.integers(min_value=-5, max_value=50))
def test_delays_grow_and_stop_after_max_tries(tries):
    nxt = next_try(tries, T0)
    if 1 <= tries < MAX_TRIES:
        assert nxt == T0 + DELAYS[tries - 1]
        assert tries == 1 or DELAYS[tries - 1] > DELAYS[tries - 2]
    else:
        assert nxt is None


def test_only_a_refusal_of_the_recipient_or_message_is_permanent():
    assert permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}))
    assert not permanent(smtplib.SMTPRecipientsRefused({"a@x": (450, b"greylisted")}))
    assert permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not permanent(smtplib.SMTPDataError(451, b"try again later"))
    assert not permanent(smtplib.SMTPAuthenticationError(535, b"bad login"))  # settings
    assert not permanent(ConnectionRefusedError())


def test_codes_and_card_tokens_are_masked_and_nothing_else():
    code, recovery = new_code(), new_recovery_code()
    text = (
        f"Open it: ssh -t host view {code}\nor ssh://view-{code}@host:2222\n"
        f"[View Invoice] https://pay.example.com/i/{code}\n"
        f"Your recovery code is:\n\n    {recovery}\n\n"
        "Card: https://pay.example.com/card/Zx9_aB-3kLmN0pQrStUvWx\n"
        "Invoice INV-0042 of 2026-03-16, $1,250.00, order abcd-1234."
    )
    out, hidden = masked(text)
    assert hidden
    assert code not in out and recovery not in out and "Zx9_aB" not in out
    assert out.count(CODE_HIDDEN) == 5
    assert "view-[code hidden]@host:2222" in out and "/card/[code hidden]" in out
    assert "Invoice INV-0042 of 2026-03-16, $1,250.00, order abcd-1234." in out
    assert masked("Thanks for your payment of $5.00.") == (
        "Thanks for your payment of $5.00.",
        False,
    )
