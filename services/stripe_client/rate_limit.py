"""A Stripe client wrapper that never exceeds the configured request rate, and times Stripe.

Stripe's default limits are 25 requests/s in test mode and 100/s live; paydesk stays under
them with a margin: 20/s for test keys and the sandbox, 80/s for live keys, or
`stripe_rate` in paydesk.toml. The wrapper spaces request *starts* at least 1/rate apart,
so no one-second window ever holds more than `rate` requests.
"""

from __future__ import annotations

import threading
import time
from collections import deque


def default_rate(config) -> float:
    configured = config.stripe.rate
    if configured:
        return float(configured)
    key = config.stripe_api_key or ""
    return 80.0 if key.startswith(("sk_live", "rk_live")) else 20.0


class RateLimiter:
    """At most `rate` request starts in any one-second window, spaced 1/rate apart.

    Thread-safe; rate 0 means no cap. A start is recorded under the lock at the moment the
    caller is let through, so sleep overshoot in one thread can never squeeze an extra
    start into a window (spacing alone let 21 starts into one second).
    """

    def __init__(self, rate: float) -> None:
        self.limit = int(rate) if rate and rate > 0 else 0
        self.interval = 1.0 / rate if self.limit else 0.0
        self._next = 0.0
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0
        self.starts: list[float] = []

    def acquire(self) -> None:
        if not self.limit:
            self.starts.append(time.monotonic())
            return
        with self._lock:
            while True:
                now = time.monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                wait = self._next - now
                if len(self._recent) >= self.limit:
                    wait = max(wait, self._recent[0] + 1.0 - now)
                if wait <= 0:
                    break
                time.sleep(wait)
                self.waited += wait
            self._recent.append(now)
            self._next = now + self.interval
            self.starts.append(now)

    def max_in_window(self, window: float = 1.0) -> int:
        """The most request starts seen in any `window` seconds (for the bench's check)."""
        best, lo = 0, 0
        starts = self.starts
        for hi in range(len(starts)):
            while starts[hi] - starts[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


class ThrottledStripe:
    """Proxy for a `stripe.StripeClient` (or one of its services): every call waits its turn.

    `calls` and `seconds` count the requests made and the time spent inside them.
    """

    def __init__(self, target, limiter: RateLimiter, stats: dict | None = None) -> None:
        self._target = target
        self._limiter = limiter
        self._stats = stats if stats is not None else {"calls": 0, "seconds": 0.0}

    @property
    def stats(self) -> dict:
        return self._stats

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def __getattr__(self, name: str):
        attr = getattr(self._target, name)
        if callable(attr) and not isinstance(attr, type):
            limiter, stats = self._limiter, self._stats

            def call(*args, **kwargs):
                limiter.acquire()
                began = time.perf_counter()
                try:
                    return attr(*args, **kwargs)
                finally:
                    stats["calls"] += 1
                    stats["seconds"] += time.perf_counter() - began

            return call
        if name.startswith("_") or isinstance(attr, str | int | float | bool | type(None)):
            return attr
        return ThrottledStripe(attr, self._limiter, self._stats)
