"""How fast to ask: pacing requests under a rate limit, and how long to wait before a retry.

Pacer               keeps a minimum interval between request starts
RateLimitObserver   HubSpot's X-HubSpot-RateLimit-* headers → the pacer's interval
retry_delay         Retry-After when the server sent one, else capped exponential backoff
                    (parsing and backoff: marketloop.retry, shared with integrations and LLMs)
"""

from __future__ import annotations

import time

import httpx

from marketloop import retry


class Pacer:
    """Keeps at least `interval` seconds between request starts (0: no spacing)."""

    def __init__(self, interval: float = 0.0) -> None:
        self.interval = interval
        self._next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def retry_delay(attempt: int, retry_after: float | None, backoff: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (0-based): what the server asked for (not
    capped: the client refuses a wait longer than `cap`), else capped exponential backoff."""
    if retry_after is not None:
        return max(retry_after, 0.0)
    return retry.backoff(attempt, backoff, cap)


class RateLimitObserver:
    """Reads HubSpot's rate-limit headers: when the window is nearly spent, requests are spaced
    at the refill rate (interval / max) until it recovers."""

    def __init__(self) -> None:
        self.pacer = Pacer()
        self.daily_remaining: int | None = None

    def __call__(self, headers: httpx.Headers) -> None:
        try:
            most = int(headers["X-HubSpot-RateLimit-Max"])
            remaining = int(headers["X-HubSpot-RateLimit-Remaining"])
            interval = int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
        except (KeyError, ValueError):
            return
        if "X-HubSpot-RateLimit-Daily-Remaining" in headers:
            self.daily_remaining = int(headers["X-HubSpot-RateLimit-Daily-Remaining"])
        self.pacer.interval = 1.02 * interval / most if remaining <= 2 else 0.0
