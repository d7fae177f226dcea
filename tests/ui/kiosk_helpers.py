"""Helpers for driving the kiosk in tests: sign in, wait for workers, read the screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

DEMO_EMAIL = "client@example.com"
DEMO_PASSWORD = "paydesk-demo"


async def settle(pilot, rounds: int = 20) -> None:
    """Wait for every worker and the messages they post, without sleeping on a clock."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if not w.is_finished]
        if not busy:
            await pilot.pause()
            if not [w for w in app.workers if not w.is_finished]:
                return
            continue
        await app.workers.wait_for_complete()
    await pilot.pause()


async def sign_in(pilot, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    await settle(pilot)
    await pilot.press(*email)
    await pilot.press("tab")
    await pilot.press(*password)
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app) -> str:
    """What the terminal shows right now (top screen and what is visible below it), as text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


def drive(app, script: Callable[[Any], Awaitable[Any]], size: tuple[int, int] = (80, 24)) -> Any:
    """Run `script(pilot)` against the app at a fixed size and return what it returns."""

    async def main() -> Any:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            return await script(pilot)

    return asyncio.run(main())
