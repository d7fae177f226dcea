"""`setup_intent.succeeded` and `payment_method.*`: saved cards follow Stripe.

A confirmed SetupIntent's card is attached to the client's customer where Stripe has not
(the sandbox does not attach on confirm; on Stripe it is a no-op) and saved, once per
fingerprint. An updated card gets its new brand, last 4 and expiry; a card Stripe no longer
has for the customer is dropped, and if auto-billing charged it the owner is told.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from models import Business, Client, Contact, PaymentMethod, RecurringInvoice
from services.audit import audit
from services.billing.policy import autobill_effective
from services.emails.cards import autobilled_card_gone_email
from services.payments.cards import CardService, default_card
from services.webhooks.service import Effect
from services.webhooks.signature import Delivery

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

log = logging.getLogger(__name__)

SETUP_TYPES = ("setup_intent.succeeded",)
CARD_TYPES = (
    "payment_method.updated",
    "payment_method.automatically_updated",
    "payment_method.detached",
)


class CardEvents:
    """The handler for setup_intent.succeeded and the payment_method events."""

    def __init__(self, stripe_client: stripe.StripeClient, cards: CardService, mailer) -> None:
        self.stripe = stripe_client
        self.cards = cards
        self.mailer = mailer

    def __call__(self, delivery: Delivery) -> Effect:
        if delivery.type in SETUP_TYPES:
            return self.setup_succeeded(delivery.object_id)
        return self.card_changed(delivery.object_id)

    # -- a card added on the card page ----------------------------------------------------
    def setup_succeeded(self, setup_intent_id: str) -> Effect:
        seti = self.stripe.v1.setup_intents.retrieve(setup_intent_id)
        if seti.status != "succeeded" or not seti.customer or not seti.payment_method:
            return Effect()
        client = Client.get_or_none(Client.stripe_customer_id == _id_of(seti.customer))
        if client is None:
            return Effect()
        customer = _id_of(seti.customer)
        pm = self.stripe.v1.payment_methods.retrieve(_id_of(seti.payment_method))
        if pm.customer is None:
            pm = self.stripe.v1.payment_methods.attach(pm.id, params={"customer": customer})
        elif _id_of(pm.customer) != customer:
            log.warning("SetupIntent %s: its card belongs to another customer", seti.id)
            return Effect()
        effect = Effect()
        saved: list[str] = []

        def apply() -> None:
            view = self.cards.save(client.id, pm)
            saved.append(view.stripe_pm_id)
            if view.stripe_pm_id == pm.id:
                audit(f"client:{client.id}", "card.added", view.label, {"via": "setup_intent"})

        def detach_duplicate() -> None:
            if saved and saved[0] != pm.id:  # the same card was saved before: keep one
                self.stripe.v1.payment_methods.detach(pm.id)

        effect.apply = apply
        effect.after.append(detach_duplicate)
        return effect

    # -- a card Stripe updated or removed -------------------------------------------------
    def card_changed(self, pm_id: str) -> Effect:
        row = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == pm_id)
        if row is None:
            return Effect()  # not a saved card
        client = Client.get_by_id(row.client_id)
        try:
            pm = self.stripe.v1.payment_methods.retrieve(pm_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise
            pm = None
        if pm is not None and pm.customer and _id_of(pm.customer) == client.stripe_customer_id:
            found = pm
            return Effect(apply=lambda: None if self.cards.save(client.id, found) else None)
        was_charged = autobilled(client.id) and _is_default(client.id, pm_id)
        effect = Effect()
        replacement: list[str] = []

        def apply() -> None:
            if self.cards.forget(pm_id) is not None and was_charged:
                card = default_card(client.id)
                replacement.append(self.cards.get(client.id, card.id).label if card else "")

        def tell_owner() -> None:
            if replacement:
                self._tell_owner(client, row.brand, row.last4, replacement[0])

        effect.apply = apply
        effect.after.append(tell_owner)
        return effect

    def _tell_owner(self, client: Client, brand: str, last4: str, replacement: str) -> None:
        from services.payments.cards import card_label

        business = Business.get_by_id(client.business_id)
        email = autobilled_card_gone_email(
            business.name, client.name, card_label(brand, last4), replacement
        )
        for to in owner_addresses(business):
            self.mailer.send(
                to,
                email.subject,
                email.text,
                email.html,
                event_key=f"card-gone:{client.id}:{brand}:{last4}:{to}",
            )


def _id_of(value) -> str:
    """An expandable field's id (Stripe gives the id, or the object when expanded)."""
    return value if isinstance(value, str) else str(value.id)


def _is_default(client_id: int, pm_id: str) -> bool:
    card = default_card(client_id)
    return card is not None and card.stripe_pm_id == pm_id


def autobilled(client_id: int) -> bool:
    """Some active recurring invoice of this client is charged automatically."""
    series = RecurringInvoice.select().where(
        (RecurringInvoice.client == client_id) & (RecurringInvoice.status == "active")
    )
    return any(autobill_effective(rec.autobill_mode, rec.client_autobill) for rec in series)


def owner_addresses(business: Business) -> list[str]:
    """The business's owner logins, else its billing address."""
    owners = Contact.select(Contact.email).where(
        (Contact.business == business.id) & (Contact.role == "admin")
    )
    found = [c.email for c in owners if c.email]
    return found or [business.billing_email]
