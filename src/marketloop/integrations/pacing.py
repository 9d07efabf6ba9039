"""Pacing of outbound requests: a token bucket for a steady rate, the wait before a retry, and
`Paced`, the retry loop the Jira, Slack and PagerDuty clients share.

Notion, Jira, Slack and webhook receivers answer 429 with `Retry-After`; when they do, the wait
they ask for wins over our own exponential backoff (capped, so a hostile or broken header cannot
park a run for hours). Parsing the header and the backoff itself are shared (marketloop.retry).
Every request `Paced` sends is counted in `marketloop_integration_requests_total{service,status}`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from marketloop import retry
from marketloop.observe.metrics import record_integration_request

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


class Paced:
    """One outside service's requests: paced by a token bucket, counted, and retried.

    A 429 is always retried, after its `Retry-After` (capped at `max_retry_after`) during which
    the bucket lets no other request of this client through; a 5xx and a request that got no
    answer are retried only when the caller says repeating it is harmless (`retry_5xx`,
    `retry_failures`). What comes back is the first answer not to retry, or the last one.
    """

    def __init__(
        self,
        service: str,
        http: httpx.Client,
        *,
        retries: int,
        max_retry_after: float,
        backoff: float = 1.0,
        bucket: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.http = http
        self.retries = retries
        self.max_retry_after = max_retry_after
        self.backoff = backoff
        self.bucket = bucket
        self._sleep = sleep
        self.requests = 0  # sent, retries included

    def send(
        self,
        method: str,
        url: str,
        *,
        bucket: TokenBucket | None = None,
        retry_5xx: bool = True,
        retry_failures: bool = True,
        **request: Any,
    ) -> httpx.Response:
        """The answer to `method url`; raises httpx.TransportError when none came."""
        bucket = bucket or self.bucket
        attempt = 0
        while True:
            if bucket is not None:
                bucket.acquire()
            self.requests += 1
            attempt += 1
            try:
                response = self.http.request(method, url, **request)
            except httpx.TransportError:
                record_integration_request(self.service, "error")
                if not retry_failures or attempt > self.retries:
                    raise
                self._sleep(self._delay(attempt, None))
                continue
            record_integration_request(self.service, response.status_code)
            status = response.status_code
            if not (status == 429 or (retry_5xx and status >= 500)) or attempt > self.retries:
                return response
            delay = self._delay(
                attempt, retry.parse_retry_after(response.headers.get("Retry-After"))
            )
            if status == 429 and bucket is not None:
                bucket.pause(delay)  # every request of this client waits it out
            else:
                self._sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        return retry_delay(
            attempt, backoff=self.backoff, retry_after=retry_after, cap=self.max_retry_after
        )
