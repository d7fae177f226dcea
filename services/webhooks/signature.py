"""Which secrets sign Stripe's webhooks, and checking a delivery against them.

`STRIPE_WEBHOOK_SECRET` may hold several secrets, comma-separated, while one is rotated:
a delivery signed with any of them is accepted. In sandbox mode the sandbox's own secret
(kept in the data dir) is accepted too. The check is the Stripe SDK's, on the raw body,
with its 300-second tolerance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.config import Config
from services.errors import PaydeskError
from services.stripe_client.sandbox import sandbox_webhook_secret

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe


class BadDelivery(PaydeskError):
    """Not a delivery from Stripe: unsigned, wrongly signed, too old, or not an event."""


@dataclass(frozen=True)
class Delivery:
    """A verified event: its id, type, and the id of the object it is about."""

    event_id: str
    type: str
    object_id: str
    data: dict[str, Any]


def webhook_secrets(config: Config) -> tuple[str, ...]:
    """Every secret a delivery may be signed with; empty when none is configured."""
    raw = config.stripe_webhook_secret or ""
    secrets = [part.strip() for part in raw.split(",") if part.strip()]
    if config.sandbox:
        secrets.append(sandbox_webhook_secret(config.home))
    return tuple(dict.fromkeys(secrets))


def verify(payload: bytes, header: str | None, secrets: tuple[str, ...]) -> Delivery:
    """The event in `payload` if `header` signs it with one of `secrets`; else BadDelivery."""
    if not secrets:
        raise BadDelivery("no webhook secret is configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BadDelivery("the body is not UTF-8") from None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, header, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
            break
        except stripe.SignatureVerificationError:
            continue
    else:
        raise BadDelivery("the signature does not match, or it is too old")
    try:
        event = json.loads(text)
        data = event["data"]["object"]
        return Delivery(str(event["id"]), str(event["type"]), str(data["id"]), data)
    except (ValueError, KeyError, TypeError):
        raise BadDelivery("signed, but not a Stripe event") from None
