"""Helpers for driving the kiosk in tests: sign in, wait for workers, read the screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

FROZEN = datetime(2026, 3, 16, 15, 0, 0)
TODAY = FROZEN.date()

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


def outbox(services) -> list:
    return services.mailer.outbox_messages()


async def wait_for_mail(pilot, services, subject_part: str, timeout: float = 10.0):
    """The newest outbox message whose subject contains `subject_part` (mail may be async)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in outbox(services) if subject_part in str(m["Subject"])]
        if found:
            return found[-1]
        await pilot.pause(0.1)
    raise AssertionError(f"no email with {subject_part!r} in the outbox")


def mail_text(message) -> str:
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content()


async def go(pilot, target: str) -> None:
    """Click a top-bar item, the way the seed says ("At the top click …")."""
    await pilot.click(f"#nav-{target}")
    await settle(pilot)


async def choose_pay_now(pilot, selector: str, option_index: int) -> None:
    """Click a Pay Now drop-down and pick the option at `option_index` (0 = first card)."""
    from textual.widgets._select import SelectOverlay

    await pilot.click(selector)
    await settle(pilot)
    overlay = pilot.app.screen.query_one(selector).query_one(SelectOverlay)
    # The overlay lists the prompt (blank) first, then the cards, then "Add a new card…".
    start = -1 if overlay.highlighted is None else overlay.highlighted
    for _ in range(option_index + 1 - start):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def confirm_payment(pilot) -> None:
    await pilot.click("#pay")
    await settle(pilot)
