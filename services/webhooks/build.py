"""The webhook service wired to the other services: which handler takes which event type."""

from __future__ import annotations

from services.container import Services
from services.webhooks import cards, intents, refunds
from services.webhooks.service import Handler, WebhookService


def webhook_service(services: Services) -> WebhookService:
    stripe_client = services.payments.stripe
    intent_events = intents.IntentEvents(stripe_client, services.payments)
    card_events = cards.CardEvents(stripe_client, services.cards, services.mailer)
    refund_events = refunds.RefundEvents(stripe_client, services.payments.refunds)
    handlers: dict[str, Handler] = {}
    handlers.update(dict.fromkeys(intents.TYPES, intent_events))
    handlers.update(dict.fromkeys(cards.SETUP_TYPES + cards.CARD_TYPES, card_events))
    handlers.update(dict.fromkeys(refunds.TYPES, refund_events))
    return WebhookService(services.config, handlers)
