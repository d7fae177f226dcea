"""The one database read done on the event loop: `seen(request)`, the change number of
models/changes.py's `ChangeProbe` (a read-only SQLite connection that never waits).

A page kept with that number is sent without a thread while it stands
(services/drawn_pages.py `at_once`); everything else, and every page on PostgreSQL or when
SQLite cannot answer at once, goes to the thread pool (web/blocking.py).
"""

from __future__ import annotations

from aiohttp import web

from models.changes import ChangeProbe, change_probe

PROBE_KEY = web.AppKey("change_probe", ChangeProbe)  # absent off SQLite


def add_probe(app: web.Application) -> None:
    """Open the app's probe when it starts (on the loop's thread), close it on cleanup."""

    async def open_probe(app: web.Application) -> None:
        probe = change_probe()
        if probe is not None:
            app[PROBE_KEY] = probe

    async def close_probe(app: web.Application) -> None:
        probe = app.get(PROBE_KEY)
        if probe is not None:
            probe.close()

    app.on_startup.append(open_probe)
    app.on_cleanup.append(close_probe)


def seen(request: web.Request) -> int | None:
    """The probe's number now; None without a probe or when it could not be read at once."""
    probe = request.app.get(PROBE_KEY)
    return probe.version() if probe is not None else None
