"""Applying Stripe's events exactly once (DESIGN.md §5, "Webhooks do the same").

For each verified delivery: an event id already recorded is a no-op; otherwise the handler
for its type re-fetches the object from Stripe (events may arrive late, twice, or out of
order: only Stripe's current state counts), then ONE transaction records the event id
(`webhook_event`, unique) and applies the change. Two deliveries of one event racing: one
inserts the id and applies, the other hits the unique id and does nothing. What must wait
for the commit (a receipt, an email, detaching a duplicate card) runs after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import peewee

from models import utcnow, write_lock
from services.config import Config
from services.webhooks import events_sql
from services.webhooks.signature import Delivery, verify, webhook_secrets

log = logging.getLogger(__name__)

AfterCommit = Callable[[], None]


@dataclass
class Effect:
    """What a handler found: a change to apply in the event's transaction, and what to do
    once it is committed."""

    apply: Callable[[], None] | None = None
    after: list[AfterCommit] = field(default_factory=list)


class Handler(Protocol):
    def __call__(self, delivery: Delivery) -> Effect: ...


@dataclass(frozen=True)
class Outcome:
    """What a delivery did: `applied`, `duplicate` or `ignored` (a type paydesk skips)."""

    status: str
    event_id: str
    type: str


class WebhookService:
    """Verifies deliveries and applies each event once through its type's handler."""

    def __init__(self, config: Config, handlers: dict[str, Handler]) -> None:
        self.config = config
        self.handlers = handlers
        self.secrets = webhook_secrets(config)  # read once: a new secret needs a restart

    def verify(self, payload: bytes, header: str | None) -> Delivery:
        """The delivery's event, or BadDelivery (nothing is recorded for it)."""
        return verify(payload, header, self.secrets)

    def handle(self, delivery: Delivery) -> Outcome:
        """Apply a verified event once; a second delivery of it changes nothing."""
        handler = self.handlers.get(delivery.type)
        if handler is None:
            log.info("ignored Stripe event %s of type %s", delivery.event_id, delivery.type)
            return Outcome("ignored", delivery.event_id, delivery.type)
        if events_sql.seen(delivery.event_id):
            return Outcome("duplicate", delivery.event_id, delivery.type)
        effect = handler(delivery)  # Stripe is asked here, outside the transaction
        try:
            with write_lock():
                events_sql.record(delivery.event_id, delivery.type, utcnow())
                if effect.apply is not None:
                    effect.apply()
        except peewee.IntegrityError:
            if events_sql.seen(delivery.event_id):
                return Outcome("duplicate", delivery.event_id, delivery.type)
            raise
        for step in effect.after:
            try:
                step()
            except Exception:  # noqa: BLE001 - the change is recorded; the rest is retried
                log.exception("after Stripe event %s", delivery.event_id)
        return Outcome("applied", delivery.event_id, delivery.type)
