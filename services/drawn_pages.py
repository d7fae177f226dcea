"""Pages drawn once, then shown again while the database has not changed since.

A web page read from several rows costs about a millisecond of sync work to read and draw,
which 50 concurrent clients turn into queueing (bench/web.py). A drawn page is kept with
SQLite's change number (models/changes.py: it moves on any commit, by any process) and
shown again while that number stands, before the moment it must be redrawn (a code's or a
link's expiry, the business's next day) and while it names the same Stripe.js. There is
nothing to invalidate: a commit anywhere draws every page anew. On PostgreSQL, which has no
such number, every page is drawn each time.

A page is kept only if the number stood while it was drawn (a commit meanwhile, or the
drawing's own write, leaves it to the next request).

`at_once` serves the web server's event loop without a thread: a page is kept with the
version a `ChangeProbe` (models/changes.py) read before its draw was sent to a thread, and is
shown at once while the probe reads that version still (no commit anywhere since).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from models import utcnow
from models.changes import changes_seen

T = TypeVar("T")
KEPT = 256  # pages kept, the least recently shown dropped first


@dataclass(frozen=True)
class Kept(Generic[T]):
    """A drawn page; `until` the moment it stops being current (expiry, the next day)."""

    number: int
    shown: T
    until: datetime
    js: object  # the Stripe.js it names
    extra: Any = None  # what the page's owner needs on a hit
    seen: int | None = None  # the probe's version read before the draw began (None: unknown)


class DrawnPages(Generic[T]):
    """Pages by key (a code, a token), each shown again while it is current."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._pages: OrderedDict[str, Kept[T]] = OrderedDict()
        self._lock = threading.Lock()

    def look(self, key: str, js: object) -> tuple[int | None, Kept[T] | None]:
        """The change number now, and the page kept for `key` if it is still current."""
        number = changes_seen()
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None:
                self._pages.move_to_end(key)
        if kept is None or number is None or kept.number != number:
            return number, None
        if utcnow() >= kept.until or kept.js != js:
            return number, None
        return number, kept

    def at_once(self, key: str, seen: int | None, js: object) -> Kept[T] | None:
        """The page kept for `key` if the probe still reads the version it was kept with
        (memory only: for the event loop; None: draw it in a thread)."""
        if seen is None:
            return None
        with self._lock:
            kept = self._pages.get(key)
            if kept is None or kept.seen != seen:
                return None
            self._pages.move_to_end(key)
        if utcnow() >= kept.until or kept.js != js:
            return None
        return kept

    def forget(self, key: str) -> None:
        """Draw `key`'s page anew next time (what it shows changed outside the database)."""
        with self._lock:
            self._pages.pop(key, None)

    def keep(
        self,
        key: str,
        number: int | None,
        make: Callable[[], Kept[T] | None],
        seen: int | None = None,
    ) -> None:
        """Keep `make()`'s page for `key`, if the number still is the one it was drawn under
        (`make` is called only then; None: nothing to keep), with the probe's `seen`."""
        if number is None or changes_seen() != number:
            return
        kept = make()
        if kept is None:
            return
        kept = replace(kept, seen=seen)
        with self._lock:
            self._pages[key] = kept
            self._pages.move_to_end(key)
            while len(self._pages) > self._kept:
                self._pages.popitem(last=False)
