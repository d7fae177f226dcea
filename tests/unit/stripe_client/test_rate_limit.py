"""The Stripe request cap: never more than `rate` starts in any one-second window."""

import threading
import time

from services.stripe_client.rate_limit import RateLimiter


def test_no_one_second_window_holds_more_than_the_rate():
    limiter = RateLimiter(20)

    def caller():
        for _ in range(12):
            limiter.acquire()
            time.sleep(0.003)  # the request itself

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(limiter.starts) == 48
    assert limiter.max_in_window(1.0) <= 20
    # spaced, not bursty: consecutive starts at least 1/rate apart (small clock slack)
    gaps = [b - a for a, b in zip(limiter.starts, limiter.starts[1:], strict=False)]
    assert min(gaps) >= 0.05 - 0.001


def test_rate_zero_means_no_cap():
    limiter = RateLimiter(0)
    started = time.monotonic()
    for _ in range(100):
        limiter.acquire()
    assert time.monotonic() - started < 0.5 and limiter.waited == 0.0
