"""Decline messages, advice and hard/soft classes: one module owns them."""

from __future__ import annotations

from models.states import AttemptStatus
from services.payments.declines import (
    ADVICE,
    DEFAULT_ADVICE,
    HARD_DECLINES,
    REASONS,
    advice_for,
    classify,
    decline_message,
)


def test_advice_names_the_next_step_for_known_declines():
    assert advice_for("expired_card") == "The card has expired. Add a new card and pay with it."
    assert advice_for("insufficient_funds").startswith("The card does not have enough funds.")
    assert advice_for(None) == DEFAULT_ADVICE
    assert advice_for("generic_decline") == DEFAULT_ADVICE


def test_every_advised_decline_has_a_reason():
    assert set(ADVICE) <= set(REASONS)
    for code in ADVICE:
        assert decline_message("card_declined", code) == f"Your card was declined: {REASONS[code]}."


def test_hard_declines_are_never_soft():
    failed = AttemptStatus.FAILED
    for code in HARD_DECLINES:
        assert classify(failed, "card_declined", code) == "hard"
    assert classify(failed, "card_declined", "insufficient_funds") == "soft"
    assert classify(failed, "card_declined", None) == "soft"
    assert classify("failed", None, None) == "gateway"  # a stored status is a plain string
