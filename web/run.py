"""Serving the app: `start(services, host, port)` for tests, `serve(config, host, port)` for
`paydesk serve-web` (until SIGINT/SIGTERM)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from dataclasses import dataclass

from aiohttp import web

from services.config import Config
from services.container import Services, build_services
from web.access_log import LOGGER_NAME, AccessLogger, setup_logging
from web.app import make_app

log = logging.getLogger(LOGGER_NAME)


@dataclass
class RunningWeb:
    """A started server: its port (the real one when 0 was asked) and how to stop it."""

    runner: web.AppRunner
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(services: Services, host: str = "127.0.0.1", port: int = 8080) -> RunningWeb:
    """Listen on host:port (0: a free port) and serve; returns once listening."""
    runner = web.AppRunner(
        make_app(services),
        access_log_class=AccessLogger,
        access_log=logging.getLogger(LOGGER_NAME),
        handle_signals=False,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    real_port = runner.addresses[0][1] if runner.addresses else port
    log.info("listening on %s:%s", host, real_port)
    return RunningWeb(runner, int(real_port))


def freeze_startup_objects() -> None:
    """Leave what start-up made (modules, the app, the services) out of the garbage
    collector's full passes: on a server they stood still every request for 50–75 ms
    (bench/web.py saw them in its p99), and none of it is ever garbage."""
    gc.collect()
    gc.freeze()


def register_with_sandbox(config: Config, host: str, port: int) -> None:
    """In sandbox mode, have the sandbox deliver its events here (it forgets on restart;
    `paydesk sandbox` registers PAYDESK_PUBLIC_URL again when it starts)."""
    from services.stripe_client.client import sandbox_url
    from services.stripe_client.sandbox import (
        SandboxError,
        register_webhook,
        sandbox_webhook_secret,
    )

    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    endpoint = f"http://{reachable}:{port}/webhooks/stripe"
    try:
        register_webhook(sandbox_url(config), endpoint, sandbox_webhook_secret(config.home))
    except SandboxError as exc:
        log.warning("%s", exc)
        return
    log.info("the sandbox delivers its webhooks to %s", endpoint)


def serve(config: Config, host: str, port: int) -> int:
    """`paydesk serve-web`: run until SIGINT/SIGTERM."""
    setup_logging(config.home)
    services = build_services(config)

    async def run() -> None:
        running = await start(services, host, port)
        freeze_startup_objects()
        print(f"paydesk: web side listening on http://{host}:{running.port}", flush=True)
        if config.sandbox:
            await asyncio.to_thread(register_with_sandbox, config, host, running.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await running.stop()

    asyncio.run(run())
    return 0
