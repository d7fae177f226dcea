"""Is paydesk able to work: the database answers, Stripe answers. For `/healthz`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models import db
from services.stripe_client.client import safe_error

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe


def database_problem() -> str | None:
    """None when the database answers a query; else a short reason (no URL, no password)."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return type(exc).__name__
    return None


def stripe_problem(client: stripe.StripeClient) -> str | None:
    """None when Stripe (or the sandbox) answers an authenticated read; else a short reason."""
    try:
        client.v1.customers.list(params={"limit": 1})
    except stripe.StripeError as exc:
        return safe_error(exc)
    except Exception as exc:  # noqa: BLE001 - the sandbox could not start, …
        return type(exc).__name__
    return None
