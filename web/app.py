"""The web app's factory: `make_app(services)`, used by `paydesk serve-web` and the tests.

Each module in ROUTE_MODULES has `register(app)` adding its routes; a new page is a new
module and one line here.
"""

from __future__ import annotations

import importlib

from aiohttp import web

from services.container import Services
from web import headers
from web.blocking import add_executor
from web.probe import add_probe
from web.services_key import SERVICES

ROUTE_MODULES = [
    "web.health",
    "web.card_page",
    "web.invoice_page",
    "web.webhooks",
]
MAX_BODY = 256 * 1024  # bytes; Stripe's events are far smaller, pages take only short forms


def make_app(services: Services, workers: int | None = None) -> web.Application:
    """The aiohttp application serving paydesk's pages and webhooks from these services."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SERVICES] = services
    if workers is None:
        add_executor(app)
    else:
        add_executor(app, workers)
    add_probe(app)
    headers.install(app)
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # not written yet
            raise
        module.register(app)
    return app
