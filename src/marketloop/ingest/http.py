"""The HTTP edge every source shares: one httpx client per run, JSON in and out.

    429, 5xx, dropped connections  retried, honouring Retry-After, else capped exponential backoff
    429 of a spent daily/hourly quota  IngestUnavailable at once, saying when to try again
    401/403                        CredentialError naming the credential and where it was read
    other 4xx                      ApiRejected with the service's own message
    a body that is not JSON        IngestError naming the request

A `Pacer` (pacing.py) spaces requests so a run stays under a rate limit instead of into it.
Secrets are never logged: only the method, path, status and delay are.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from marketloop import __version__
from marketloop.errors import CredentialError, IngestError, TransientError
from marketloop.ingest.config import HttpSection
from marketloop.ingest.pacing import Pacer, retry_delay
from marketloop.ingest.stats import RunStats
from marketloop.observe.logging import get_logger, mask_secrets
from marketloop.observe.metrics import httpx_hooks
from marketloop.retry import parse_retry_after

log = get_logger("marketloop.ingest")
RETRYABLE = frozenset({429, 500, 502, 503, 504})


class IngestUnavailable(IngestError, TransientError):
    """The service kept failing (rate limit, 5xx, unreachable): trying later may succeed."""


class ApiRejected(IngestError):
    """The service refused a request (a 4xx other than 401/403/429)."""

    def __init__(self, message: str, *, status: int, detail: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Credential:
    """A secret a service may reject, and where it was read from (for the error message)."""

    label: str  # "HubSpot private-app token"
    origin: str  # "MARKETLOOP_HUBSPOT_TOKEN (or [hubspot] token in marketloop.toml)"


class Auth(Protocol):
    credential: Credential

    def header(self) -> str:
        """The Authorization header value."""
        ...

    def refresh(self) -> bool:
        """Get a fresh token after a 401; False when that is impossible."""
        ...


@dataclass
class StaticToken:
    token: str
    credential: Credential

    def header(self) -> str:
        return f"Bearer {self.token}"

    def refresh(self) -> bool:
        return False


def error_detail(response: httpx.Response) -> str:
    """The service's own words: Google `error.message`, HubSpot `message`, OAuth
    `error_description`; else the start of the body. Masked, one line, at most 300 chars."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = response.text
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping):
            text = str(err.get("message") or err)
        elif isinstance(err, str):
            text = f"{err}: {body.get('error_description', '')}".rstrip(": ")
        elif "message" in body:
            text = str(body["message"])
    return mask_secrets(" ".join(text.split()))[:300]


class ApiClient:
    """JSON over HTTP for one source, with the retry, pacing and error rules above."""

    def __init__(
        self,
        service: str,
        section: HttpSection,
        *,
        auth: Auth | None,
        stats: RunStats,
        observe: Callable[[httpx.Headers], None] | None = None,
        quota_wait: Callable[[httpx.Response], float | None] | None = None,
    ) -> None:
        """`quota_wait` reads a 429: the seconds until a spent quota returns, or None when
        retrying soon may pass."""
        self.service = service
        self.section = section
        self.auth = auth
        self.stats = stats
        self.observe = observe
        self.quota_wait = quota_wait
        self._http = httpx.Client(
            base_url=section.base_url,
            timeout=httpx.Timeout(section.timeout, connect=min(section.timeout, 10.0)),
            headers={"User-Agent": f"marketloop/{__version__}", "Accept": "application/json"},
            event_hooks=httpx_hooks(service),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        pacer: Pacer | None = None,
    ) -> Any:
        """Send one request (retrying what may pass) and return the decoded JSON body."""
        refreshed = False
        attempt = 0
        while True:
            if pacer is not None:
                pacer.wait()
            response = self._send(method, path, params, body, attempt)
            if response is None:  # a transport error, already counted as a retry
                attempt += 1
                continue
            if self.observe is not None:
                self.observe(response.headers)
            status = response.status_code
            if status == 401 and not refreshed and self.auth is not None and self.auth.refresh():
                refreshed = True
                continue
            if status == 429 and self.quota_wait is not None:
                self._stop_if_quota_spent(response, method, path)
            if status in RETRYABLE and attempt < self.section.retries:
                self._wait_before_retry(response, method, path, attempt)
                attempt += 1
                continue
            return self._decode(response, method, path)

    def _send(
        self, method: str, path: str, params: Any, body: Any, attempt: int
    ) -> httpx.Response | None:
        headers = {"Authorization": self.auth.header()} if self.auth is not None else {}
        self.stats.requests += 1
        try:
            return self._http.request(method, path, params=params, json=body, headers=headers)
        except httpx.TransportError as exc:
            if attempt >= self.section.retries:
                raise IngestUnavailable(
                    f"cannot reach {self.service} at {self.section.base_url}: "
                    f"{type(exc).__name__} {exc}",
                    hint=f"check the network and the {self.service} base URL setting",
                ) from None
            delay = retry_delay(attempt, None, self.section.backoff, self.section.backoff_cap)
            self._note_retry(method, path, type(exc).__name__, delay)
            return None

    def _wait_before_retry(
        self, response: httpx.Response, method: str, path: str, attempt: int
    ) -> None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        delay = retry_delay(attempt, retry_after, self.section.backoff, self.section.backoff_cap)
        if delay > self.section.backoff_cap:
            raise IngestUnavailable(
                f"{self.service} asked to wait {delay:.0f} s before {method} {path} "
                f"(HTTP {response.status_code}: {error_detail(response)})",
                hint="a quota is exhausted; run again later (nothing was loaded)",
                retry_after=delay,
            )
        self._note_retry(method, path, str(response.status_code), delay)

    def _stop_if_quota_spent(self, response: httpx.Response, method: str, path: str) -> None:
        assert self.quota_wait is not None
        wait = self.quota_wait(response)
        if wait is None:
            return
        when = datetime.now(UTC) + timedelta(seconds=wait)
        raise IngestUnavailable(
            f"{self.service} quota is spent ({method} {path}, HTTP 429: {error_detail(response)})",
            hint=f"retrying now would fail; run again after {when:%Y-%m-%d %H:%M} UTC "
            "(nothing was loaded)",
            retry_after=wait,
        )

    def _note_retry(self, method: str, path: str, why: str, delay: float) -> None:
        self.stats.retries += 1
        log.warning(
            "retrying", service=self.service, method=method, path=path, why=why, delay=delay
        )
        time.sleep(delay)

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        status = response.status_code
        where = f"{method} {path}"
        if status in (401, 403) and self.auth is not None:
            cred = self.auth.credential
            raise CredentialError(
                f"{self.service} rejected the {cred.label} (HTTP {status} on {where}: "
                f"{error_detail(response)})",
                hint=f"fix {cred.origin}; nothing was loaded",
            )
        if status in RETRYABLE:
            raise IngestUnavailable(
                f"{self.service} answered HTTP {status} to {where} after "
                f"{self.section.retries} retries: {error_detail(response)}",
                hint="try again later; nothing was loaded and the next run resumes from the "
                "last successful load",
            )
        if status >= 400:
            detail = error_detail(response)
            raise ApiRejected(
                f"{self.service} rejected {where} (HTTP {status}): {detail}",
                status=status,
                detail=detail,
            )
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise IngestError(
                f"{self.service} returned malformed JSON for {where}: {exc}",
                hint="nothing was loaded; run again, and report it if it persists",
            ) from None
