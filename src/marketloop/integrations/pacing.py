"""Pacing of outbound requests: a token bucket for a steady rate, and the wait before a retry.

Both Notion and webhook receivers answer 429 with `Retry-After`; when they do, the wait they ask
for wins over our own exponential backoff (capped, so a hostile or broken header cannot park a
run for hours). Parsing the header and the backoff itself are shared (marketloop.retry).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from marketloop import retry

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


class TokenBucket:
    """At most `rate` acquisitions per second on average, `burst` back to back. Thread-safe."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """The server asked us to wait: empty the bucket so nobody sends for `seconds`."""
        with self._lock:
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate
            self._stamp = self._clock()


def retry_delay(
    attempt: int, *, backoff: float, retry_after: float | None, cap: float, jitter: bool = True
) -> float:
    """How long to wait before retry number `attempt` (1-based).

    `Retry-After` wins when the server sent it; otherwise backoff * 2^(attempt-1), with up to
    25% jitter so many clients do not retry in lockstep. Never more than `cap` seconds.
    """
    if retry_after is not None:
        return min(retry_after, cap)
    delay = retry.backoff(attempt - 1, backoff, cap)
    if jitter:
        delay *= 1 + random.random() / 4  # noqa: S311 - jitter, not cryptography
    return min(delay, cap)
