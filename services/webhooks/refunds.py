"""`charge.refunded`: refunds made in Stripe's dashboard show up in paydesk.

The charge's refunds are listed again at Stripe; each one paydesk has not recorded is
recorded through the refunds code (the invoices it paid get the money back), once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models import Payment
from services.payments.refunds import RefundService, refund_key
from services.stripe_client.client import from_stripe_amount
from services.webhooks.service import Effect
from services.webhooks.signature import Delivery

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

TYPES = ("charge.refunded",)


class RefundEvents:
    """The handler for charge.refunded."""

    def __init__(self, stripe_client: stripe.StripeClient, refunds: RefundService) -> None:
        self.stripe = stripe_client
        self.refunds = refunds

    def __call__(self, delivery: Delivery) -> Effect:
        charge = self.stripe.v1.charges.retrieve(delivery.object_id)
        intent_id = charge.payment_intent
        if not intent_id:
            return Effect()
        intent_id = intent_id if isinstance(intent_id, str) else intent_id.id
        payment = Payment.get_or_none(Payment.stripe_intent_id == intent_id)
        if payment is None:
            return Effect()  # not paid through paydesk
        params: Any = {"payment_intent": intent_id, "limit": 100}
        found = [
            (r.id, from_stripe_amount(int(r.amount), payment.currency), r.status, refund_key(r))
            for r in self.stripe.v1.refunds.list(params=params).auto_paging_iter()
            if r.status in ("succeeded", "pending")
        ]

        def apply() -> None:
            for refund_id, amount, status, key in found:
                self.refunds.record_from_stripe(payment.id, refund_id, amount, status, key)

        return Effect(apply=apply)
