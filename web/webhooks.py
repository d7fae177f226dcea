"""`POST /webhooks/stripe`: Stripe's events. The work is services.webhooks'; this only reads
the raw body, answers 400 to what is not a signed event (logged without the body), 200 once
the event is applied (or was already, or is a type paydesk ignores), 500 when Stripe or the
database did not answer, so Stripe delivers it again."""

from __future__ import annotations

import logging

from aiohttp import web

from services.webhooks.build import webhook_service
from services.webhooks.service import Outcome, WebhookService
from services.webhooks.signature import BadDelivery, Delivery
from web.blocking import run_sync
from web.services_key import SERVICES

log = logging.getLogger("paydesk.web")
WEBHOOKS = web.AppKey("webhooks", WebhookService)
MAX_EVENT = 64 * 1024  # bytes; Stripe's events are a few KB


async def stripe_webhook(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_EVENT:
        return web.json_response({"error": "too large"}, status=413)
    try:
        payload = await request.content.read(MAX_EVENT + 1)
    except ValueError:
        return web.json_response({"error": "too large"}, status=413)
    if len(payload) > MAX_EVENT:
        return web.json_response({"error": "too large"}, status=413)
    service = request.app[WEBHOOKS]
    header = request.headers.get("Stripe-Signature")
    try:
        outcome = await run_sync(request, _receive, service, payload, header)
    except BadDelivery as exc:
        log.warning("refused a webhook delivery from %s: %s", request.remote, exc)
        return web.json_response({"error": "bad signature or not an event"}, status=400)
    except NotApplied as exc:  # Stripe will deliver it again
        delivery = exc.delivery
        log.error(
            "Stripe event %s (%s) not applied",
            delivery.event_id,
            delivery.type,
            exc_info=exc.__cause__,
        )
        return web.json_response({"error": "not applied; try again"}, status=500)
    log.info("Stripe event %s %s: %s", outcome.event_id, outcome.type, outcome.status)
    return web.json_response({"status": outcome.status})


class NotApplied(Exception):
    """A verified event whose handling failed (the cause is chained)."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(delivery.event_id)
        self.delivery = delivery


def _receive(service: WebhookService, payload: bytes, header: str | None) -> Outcome:
    """Verify, then apply, in one trip to the thread pool (a delivery costs less than the
    trip). BadDelivery when it is not Stripe's; NotApplied when applying it failed."""
    delivery = service.verify(payload, header)
    try:
        return service.handle(delivery)
    except Exception as exc:  # noqa: BLE001 - said to Stripe as a 500; it delivers again
        raise NotApplied(delivery) from exc


def register(app: web.Application) -> None:
    app[WEBHOOKS] = webhook_service(app[SERVICES])
    app.router.add_post("/webhooks/stripe", stripe_webhook)
