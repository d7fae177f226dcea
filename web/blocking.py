"""Running the sync services (Peewee, the Stripe SDK) off the event loop.

Each handler that touches the database or Stripe calls `run_sync(request, fn, *args)`: the
call runs in the app's thread pool (each thread has its own database connection), so one
slow Stripe answer never stalls the other requests.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from aiohttp import web

P = ParamSpec("P")
T = TypeVar("T")

EXECUTOR_KEY = web.AppKey("executor", ThreadPoolExecutor)
# Threads for sync work; SQLite serialises writers anyway. bench/web.py (50 clients, page
# GETs of ≈ 0.2 ms of reads under the GIL) showed no difference between 2, 4, 8 and 16.
WORKERS = 8


def add_executor(app: web.Application, workers: int = WORKERS) -> None:
    """Give the app its thread pool, shut down (waiting for running calls) on cleanup."""
    app[EXECUTOR_KEY] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paydesk-web")

    async def shutdown(app: web.Application) -> None:
        app[EXECUTOR_KEY].shutdown(wait=True)

    app.on_cleanup.append(shutdown)


async def run_sync(
    request: web.Request, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(*args, **kwargs)` in the app's thread pool; its result or its exception."""
    loop = asyncio.get_running_loop()
    call = functools.partial(fn, *args, **kwargs)
    return await loop.run_in_executor(request.app[EXECUTOR_KEY], call)
