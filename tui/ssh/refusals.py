"""Refused connections, logged once per burst: the first refusal, then how many followed."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass


@dataclass
class _Burst:
    reason: str
    first: float
    last: float
    count: int = 1


class RefusalLog:
    """One warning when refusals from a source start, one summary once it has been quiet."""

    def __init__(self, log: logging.Logger, quiet: float = 10.0, clock=time.monotonic) -> None:
        self.log = log
        self.quiet = quiet
        self._clock = clock
        self._bursts: dict[str, _Burst] = {}

    def note(self, source: str, reason: str) -> None:
        now = self._clock()
        burst = self._bursts.get(source)
        if burst is not None:
            burst.count += 1
            burst.last = now
            return
        self.log.warning("refusing connections from %s: %s", source, reason)
        self._bursts[source] = _Burst(reason, now, now)
        asyncio.get_running_loop().call_later(self.quiet, self._close_if_quiet, source)

    def _close_if_quiet(self, source: str) -> None:
        burst = self._bursts[source]
        quiet_for = self._clock() - burst.last
        if quiet_for < self.quiet:
            asyncio.get_running_loop().call_later(
                self.quiet - quiet_for, self._close_if_quiet, source
            )
            return
        del self._bursts[source]
        self.log.warning(
            "refused %d connection(s) from %s over %.1fs: %s",
            burst.count,
            source,
            burst.last - burst.first,
            burst.reason,
        )


ACCEPT_FAILED = "socket.accept() out of system resource"


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, refusals: RefusalLog) -> None:
    """asyncio logs a traceback for every failed accept(); count them as refusals instead."""
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if context.get("message") == ACCEPT_FAILED:
            exc = context.get("exception")
            refusals.note("the listener", f"accept() failed, out of file descriptors ({exc})")
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
