"""Why a payment is refunded: Stripe's three reasons, or "other" with the owner's words.

Stored on the Refund row as the code, then ": " and the comment when there is one
("other: paid by check instead"); the code also goes to Stripe in the refund's metadata
(the sandbox, localstripe, refuses Stripe's own `reason` parameter).
"""

from __future__ import annotations

from services.payments.ledger import PaymentError
from services.text import refuse_controls

REASONS = {
    "requested_by_customer": "Requested by the customer",
    "duplicate": "Duplicate payment",
    "fraudulent": "Fraudulent",
    "other": "Other (say why)",
}
COMMENT_MAX = 200


def refund_reason(code: str, comment: str = "") -> str:
    """The stored reason for `code` and `comment`; PaymentError with a one-line message."""
    if code not in REASONS:
        raise PaymentError(f"Choose a reason: {', '.join(REASONS)}.")
    comment = comment.strip()
    refuse_controls(PaymentError, {"comment": comment})
    if code == "other" and not comment:
        raise PaymentError("Say why in the comment (the reason is other).")
    if len(comment) > COMMENT_MAX:
        raise PaymentError(f"Keep the comment under {COMMENT_MAX} characters.")
    return f"{code}: {comment}" if comment else code


def reason_code(stored: str) -> str:
    """The code of a stored reason ("" for refunds made at Stripe)."""
    code = stored.partition(":")[0]
    return code if code in REASONS else ""
