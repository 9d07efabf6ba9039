"""A thin, typed Notion API client (httpx) for API version 2025-09-03 (databases → data sources).

Why not `notion-client`: publishing needs exact control over what is retried. A create or an
append that timed out may have been applied, so those "unsafe" calls are retried only when
Notion provably did not process them (429 `rate_limited`, 529 `service_overload`, connection
refused); the publisher then re-reads the page and reconciles instead of duplicating. Reads,
property updates and deletes are retried on 429, 5xx and timeouts with backoff. A 429 or 529
(Notion's documented "slow down" answers) is waited out for its `Retry-After` by every request
of the client. Every request waits for a token
bucket (~3 requests/s, Notion's average limit). Errors name the object and what to do next.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from marketloop import __version__
from marketloop.integrations.config import NotionSettings
from marketloop.integrations.errors import (
    AUTH_HINT,
    SHARE_HINT,
    NotionAccessError,
    NotionAuthError,
    NotionError,
    NotionUnavailable,
    NotionValidationError,
)
from marketloop.integrations.pacing import TokenBucket, retry_delay
from marketloop.integrations.redact import quiet_http_logs
from marketloop.observe.logging import get_logger, mask_secrets
from marketloop.observe.metrics import httpx_hooks
from marketloop.retry import parse_retry_after

NOTION_VERSION = "2025-09-03"
PAGE_SIZE = 100
THROTTLED = frozenset({429, 529})  # rate_limited, service_overload: not processed, wait Retry-After
_BLOCK_INDEX = re.compile(r"body\.children\[(\d+)\]")
log = get_logger(__name__)

Json = dict[str, Any]


class NotionClient:
    def __init__(
        self,
        settings: NotionSettings,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        quiet_http_logs()
        self.settings = settings
        self._sleep = sleep
        self._bucket = TokenBucket(settings.rate, settings.burst, sleep=sleep)
        self._http = httpx.Client(
            base_url=settings.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Notion-Version": NOTION_VERSION,
                "User-Agent": f"marketloop/{__version__}",
            },
            timeout=settings.timeout,
            transport=transport,
            event_hooks=httpx_hooks("notion"),
        )
        self.requests = 0  # sent, retries included

    def __enter__(self) -> NotionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- endpoints ----------------------------------------------------------------------------

    def database(self, database_id: str) -> Json:
        return self.call("GET", f"/v1/databases/{database_id}")

    def data_source(self, data_source_id: str) -> Json:
        return self.call("GET", f"/v1/data_sources/{data_source_id}")

    def add_properties(self, data_source_id: str, properties: Json) -> Json:
        return self.call("PATCH", f"/v1/data_sources/{data_source_id}", {"properties": properties})

    def query(self, data_source_id: str, filter_: Json | None = None) -> Iterator[Json]:
        body: Json = {"page_size": PAGE_SIZE} | ({"filter": filter_} if filter_ else {})
        return self._pages("POST", f"/v1/data_sources/{data_source_id}/query", body=body)

    def create_page(self, data_source_id: str, properties: Json, children: list[Json]) -> Json:
        parent = {"type": "data_source_id", "data_source_id": data_source_id}
        body = {"parent": parent, "properties": properties, "children": children}
        return self.call("POST", "/v1/pages", body, safe=False)

    def update_page(self, page_id: str, properties: Json) -> Json:
        return self.call("PATCH", f"/v1/pages/{page_id}", {"properties": properties})

    def children(self, block_id: str) -> Iterator[Json]:
        return self._pages("GET", f"/v1/blocks/{block_id}/children")

    def append(
        self, block_id: str, children: list[Json], *, after: str | None = None
    ) -> list[Json]:
        """Add `children` at the end of `block_id`, or right after its child block `after`."""
        body: Json = {"children": children} | ({"after": after} if after else {})
        answer = self.call("PATCH", f"/v1/blocks/{block_id}/children", body, safe=False)
        results: list[Json] = answer.get("results", [])
        return results

    def delete_block(self, block_id: str) -> None:
        try:
            self.call("DELETE", f"/v1/blocks/{block_id}")
        except NotionValidationError as exc:
            if "archived" not in exc.message:  # a retried delete finds it already archived
                raise

    def users(self) -> Iterator[Json]:
        return self._pages("GET", "/v1/users")

    # --- transport ----------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Json | None = None, *, safe: bool = True) -> Json:
        """One API call, paced and retried. `safe=False` for calls that must not run twice."""
        attempt = 0
        while True:
            self._bucket.acquire()
            self.requests += 1
            outcome = self._attempt(method, path, body, safe)
            if not isinstance(outcome, _Failed):
                return outcome
            attempt += 1
            if not outcome.retryable or attempt > self.settings.retries:
                raise outcome.error
            self._wait(attempt, outcome.error, method, path)

    def _attempt(self, method: str, path: str, body: Json | None, safe: bool) -> Json | _Failed:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            silent = NotionUnavailable(
                f"Notion did not answer {method} {path}: {type(exc).__name__}",
                hint=f"check the network and notion.base_url ({self.settings.base_url})",
            )
            return _Failed(silent, retryable=safe or never_sent)
        if response.is_success:
            answer: Json = response.json()
            return answer
        failure = describe(response, method, path)
        throttled = response.status_code in THROTTLED  # Notion did not process it: always safe
        return _Failed(failure, isinstance(failure, NotionUnavailable) and (safe or throttled))

    def _wait(self, attempt: int, failure: NotionError, method: str, path: str) -> None:
        retry_after = failure.retry_after if isinstance(failure, NotionUnavailable) else None
        delay = retry_delay(
            attempt,
            backoff=self.settings.backoff,
            retry_after=retry_after,
            cap=self.settings.max_retry_after,
        )
        log.warning("notion.retry", method=method, path=path, status=failure.status, wait=delay)
        if failure.status in THROTTLED:
            self._bucket.pause(delay)  # the next acquire() waits it out, for every caller
        else:
            self._sleep(delay)

    def _pages(self, method: str, path: str, *, body: Json | None = None) -> Iterator[Json]:
        """Every result of a paginated endpoint (`has_more` / `next_cursor`)."""
        cursor: str | None = None
        while True:
            if method == "GET":
                query = f"?page_size={PAGE_SIZE}" + (f"&start_cursor={cursor}" if cursor else "")
                answer = self.call(method, path + query)
            else:
                answer = self.call(
                    method, path, (body or {}) | ({"start_cursor": cursor} if cursor else {})
                )
            yield from answer.get("results", [])
            cursor = answer.get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return


@dataclass(frozen=True)
class _Failed:
    error: NotionError
    retryable: bool


def describe(response: httpx.Response, method: str, path: str) -> NotionError:
    """The error for a Notion error response, with the id involved and what to do next."""
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    code = str(payload.get("code") or "")
    # the body may echo the request, Authorization header included
    message = mask_secrets(
        str(payload.get("message") or response.text[:200] or response.reason_phrase)
    )
    status = response.status_code
    what = f"Notion answered {status} {code or 'error'} to {method} {path}: {message}"
    if status == 401:
        return NotionAuthError(what, hint=AUTH_HINT, status=status, code=code)
    if status in {403, 404}:
        return NotionAccessError(what, hint=SHARE_HINT, status=status, code=code)
    if status == 400 and code == "validation_error":
        match = _BLOCK_INDEX.search(message)
        index = int(match.group(1)) if match else None
        return NotionValidationError(what, status=status, code=code, block_index=index)
    if status in {409, 429} or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        hint = "Notion is rate limiting, overloaded or unavailable; run the command again later"
        return NotionUnavailable(what, hint=hint, status=status, code=code, retry_after=retry_after)
    return NotionError(what, status=status, code=code)
