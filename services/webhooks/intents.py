"""`payment_intent.*`: finish or fail the ledger attempt the intent belongs to.

The intent is retrieved again and only a settled state is applied: succeeded (the Payment,
once), requires_action (3-D Secure), or declined/canceled. An intent still awaiting
confirmation or processing is left alone: the paying process (or the reconciler) owns it,
and nothing here ever cancels or confirms an intent. The ledger's updates are conditional,
so a late event cannot move an attempt backwards (a paid attempt stays paid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.payments import ledger
from services.payments.payments import PaymentService
from services.stripe_client.client import from_stripe_amount
from services.webhooks import events_sql
from services.webhooks.service import Effect
from services.webhooks.signature import Delivery

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

SETTLED = ("succeeded", "requires_action", "requires_payment_method", "canceled")
TYPES = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
)


class IntentEvents:
    """The handler for the payment_intent events paydesk acts on."""

    def __init__(self, stripe_client: stripe.StripeClient, payments: PaymentService) -> None:
        self.stripe = stripe_client
        self.payments = payments

    def __call__(self, delivery: Delivery) -> Effect:
        attempt_id = events_sql.attempt_of_intent(delivery.object_id)
        if attempt_id is None:
            return Effect()  # not paydesk's, or its id not stored yet: its payer settles it
        intent = self.stripe.v1.payment_intents.retrieve(delivery.object_id)
        if intent.status not in SETTLED:
            return Effect()
        if intent.status == "succeeded":
            return self._success(attempt_id, intent)
        settler = self.payments.settler
        return Effect(apply=lambda: settler.apply(attempt_id, intent))

    def _success(self, attempt_id: int, intent) -> Effect:
        received = getattr(intent, "amount_received", None) or intent.amount
        amount = from_stripe_amount(int(received), intent.currency)
        created: list[int] = []

        def apply() -> None:
            payment, new = ledger.record_success(attempt_id, intent.id, amount)
            if new:
                created.append(payment.id)

        def receipt() -> None:
            for payment_id in created:
                self.payments.receipts.submit(payment_id)

        return Effect(apply=apply, after=[receipt])
