"""How fast to ask: pacing requests under a rate limit, and how long to wait before a retry.

Pacer               keeps a minimum interval between request starts
RateLimitObserver   HubSpot's X-HubSpot-RateLimit-* headers → the pacer's interval
retry_delay         Retry-After when the server sent one, else capped exponential backoff
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

import httpx


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
    """Seconds to wait before retry number `attempt` (0-based): what the server asked for,
    else `backoff` doubled per attempt, never more than `cap`."""
    if retry_after is not None:
        return max(retry_after, 0.0)
    return min(cap, backoff * 2.0**attempt)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delay-seconds or an HTTP date (RFC 9110); None if absent/bad."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(float((when - (now or datetime.now(UTC))).total_seconds()), 0.0)


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
