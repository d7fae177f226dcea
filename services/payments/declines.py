"""Declined cards: what to tell the client, what to advise next, and whether to retry.

The one place for Stripe's decline codes. `decline_message` is the reason stored with a
failed attempt (and shown as "Reason"), `advice_for` the next step the kiosk shows under it,
and `classify` sorts an attempt's outcome for the billing run: hard declines are never
retried, soft ones follow the retry schedule, gateway failures never reached the card.
"""

from __future__ import annotations

from models.states import AttemptStatus

# Stripe's decline codes (or error codes) a person is told the reason of.
REASONS = {
    "insufficient_funds": "insufficient funds",
    "lost_card": "the card was reported lost",
    "stolen_card": "the card was reported stolen",
    "expired_card": "the card has expired",
    "incorrect_cvc": "the security code is incorrect",
    "card_velocity_exceeded": "the card's limit was reached",
    "do_not_honor": "your bank did not approve it",
}

ADVICE = {
    "insufficient_funds": "The card does not have enough funds. Use another card, or try "
    "again when funds are available.",
    "expired_card": "The card has expired. Add a new card and pay with it.",
    "incorrect_cvc": "The security code was wrong. Add the card again, or use another card.",
    "lost_card": "The bank will not accept this card. Use another card.",
    "stolen_card": "The bank will not accept this card. Use another card.",
}
DEFAULT_ADVICE = (
    "Your bank declined the charge. Call the number on the back of the card, or choose "
    "another card in Pay Now."
)

# Stripe's hard declines: retrying cannot succeed (docs.stripe.com/declines/codes; Smart
# Retries skips them). The client has to act: another card or the kiosk.
HARD_DECLINES = frozenset(
    {
        "do_not_honor",
        "do_not_try_again",
        "expired_card",
        "fraudulent",
        "incorrect_cvc",
        "incorrect_number",
        "incorrect_zip",
        "invalid_account",
        "invalid_cvc",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_number",
        "lost_card",
        "merchant_blacklist",
        "new_account_information_available",
        "pickup_card",
        "restricted_card",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "security_violation",
        "stolen_card",
        "stop_payment_order",
        "transaction_not_allowed",
        "card_not_supported",
        "currency_not_supported",
        "not_permitted",
    }
)
ACTION_CODES = frozenset({"authentication_required"})
# Codes that mean the charge never reached the card: not a decline, try again next pass.
GATEWAY_CODES = frozenset({"interrupted", "api_connection_error", "rate_limit", "lock_timeout"})


def decline_message(code: str | None, decline_code: str | None, fallback: str = "") -> str:
    """What to tell a person whose card Stripe refused."""
    reason = REASONS.get(decline_code or "") or REASONS.get(code or "")
    if reason:
        return f"Your card was declined: {reason}."
    if code in ("card_declined", None) or decline_code:
        return "Your card was declined."
    return fallback or "Your card was declined."


def advice_for(decline_code: str | None) -> str:
    """What the client can do next about a declined card."""
    return ADVICE.get(decline_code or "", DEFAULT_ADVICE)


def classify(status: str, code: str | None, decline_code: str | None) -> str:
    """charged | action_needed | hard | soft | gateway | pending."""
    if status == AttemptStatus.SUCCEEDED:
        return "charged"
    if (
        status == AttemptStatus.REQUIRES_ACTION
        or code in ACTION_CODES
        or decline_code in ACTION_CODES
    ):
        return "action_needed"
    if status != AttemptStatus.FAILED:
        return "pending"
    if decline_code:
        return "hard" if decline_code in HARD_DECLINES else "soft"
    if code in HARD_DECLINES:
        return "hard"
    if code == "card_declined":
        return "soft"
    if code is None or code in GATEWAY_CODES:
        return "gateway"
    return "hard"  # anything else (a detached card, a refused request) needs a person
