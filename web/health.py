"""`GET /healthz` for a load balancer: 200 when the database and Stripe answer, else 503
naming what failed. Stripe's answer is kept a few seconds so probes do not spend its rate."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from services import health
from web.blocking import run_sync
from web.services_key import SERVICES

CHECK_TIMEOUT = 5.0  # seconds each check may take before it counts as failed
STRIPE_CACHE = 5.0  # seconds a Stripe answer is reused
_STRIPE_CHECKED = web.AppKey("stripe_checked", list)  # [monotonic time, problem]


async def _timed(request: web.Request, fn, *args) -> str | None:
    try:
        return await asyncio.wait_for(run_sync(request, fn, *args), CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:.0f} s"


async def _stripe(request: web.Request) -> str | None:
    checked = request.app[_STRIPE_CHECKED]
    if checked and time.monotonic() - checked[0] < STRIPE_CACHE:
        return checked[1]
    client = request.app[SERVICES].payments.stripe
    problem = await _timed(request, health.stripe_problem, client)
    checked[:] = [time.monotonic(), problem]
    return problem


async def healthz(request: web.Request) -> web.Response:
    database, stripe = await asyncio.gather(
        _timed(request, health.database_problem), _stripe(request)
    )
    checks = {"database": database or "ok", "stripe": stripe or "ok"}
    ok = database is None and stripe is None
    body = {"status": "ok" if ok else "failing", **checks}
    return web.json_response(body, status=200 if ok else 503)


def register(app: web.Application) -> None:
    app[_STRIPE_CHECKED] = []
    app.router.add_get("/healthz", healthz)
