"""Done once in the zygote so every forked session starts with warm caches.

- Textual parses each stylesheet source per app; `share_css_parse_cache()` makes parsed rules
  a process-wide cache (keyed by the CSS *and* the theme variables), so sessions forked after
  the warm-up reuse the zygote's parse instead of parsing all widget CSS again.
- `warm_up()` draws the app once, headless, filling that cache and Textual's and Rich's other
  caches (styles, colours, cell widths, segments) in the shared pages.
"""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger("paydesk.ssh")

_MAX_SHARED = 4096


def share_css_parse_cache() -> None:
    from textual.css.stylesheet import Stylesheet

    if getattr(Stylesheet, "_paydesk_shared_cache", None) is not None:
        return
    shared: dict = {}
    original = Stylesheet._parse_rules

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (
            css,
            read_from,
            is_default_rules,
            tie_breaker,
            scope,
            tuple(sorted(self._variables.items())),
        )
        rules = shared.get(key)
        if rules is None:
            rules = original(self, css, read_from, is_default_rules, tie_breaker, scope)
            if len(shared) < _MAX_SHARED:
                shared[key] = rules
        return rules

    Stylesheet._parse_rules = _parse_rules  # type: ignore[method-assign]
    Stylesheet._paydesk_shared_cache = shared  # type: ignore[attr-defined]


def warm_money() -> None:
    """Load Babel's data and each business's money layout once, here, for every session
    forked after (the first amount a session shows would otherwise take ~10 ms)."""
    from models import Business
    from services.money import format_money

    for business in Business.select(Business.currency, Business.locale):
        format_money(0, business.currency, business.locale)


def warm_up(config, factory_spec: str, size: tuple[int, int] = (100, 30)) -> bool:
    """Draw the app once without a terminal; False (and a log line) if that failed."""
    from models import db
    from models.checkpoint import stop_checkpointer
    from services.container import build_services
    from tui.ssh.child import load_factory

    try:
        factory = load_factory(factory_spec)
        app = factory(build_services(config), start_code=None, address="")

        async def draw() -> None:
            async with app.run_test(size=size) as pilot:
                await pilot.pause()

        asyncio.run(draw())
        warm_money()
    except Exception as exc:  # noqa: BLE001 - a cold start is slower, not broken
        log.warning("warm-up of %s failed: %s", factory_spec, exc)
        return False
    finally:
        try:
            db.close()  # never carry a database connection across fork
        except Exception:  # noqa: BLE001
            pass
        stop_checkpointer()  # nor the WAL checkpointer's thread and connection (joined below)
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=5)
    return threading.active_count() == 1
