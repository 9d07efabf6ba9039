"""The HTTP edge: one aiohttp session, one request at a time, never a silent redirect.

`Fetcher.get(url)` makes a request through the origin's politeness gate, retries transient
failures with exponential backoff (connection errors, timeouts, 429/502/503/504, honouring
`Retry-After`), stops reading at the body limit, and turns every failure into a `Response` with
an `error` code instead of an exception, so one bad URL never stops a crawl.

Error codes: timeout, connection_refused, connection_reset, connection_error, dns,
private_address, ssl, invalid_url, invalid_response, payload_error, too_large.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import aiohttp
import structlog

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.netpolicy import PolicyResolver, PrivateAddressError
from marketloop.crawl.politeness import Gates

KEPT_HEADERS = (
    "content-type", "content-length", "location", "link", "x-robots-tag", "retry-after",
    "strict-transport-security", "content-security-policy", "x-content-type-options",
    "x-frame-options", "referrer-policy",
)  # fmt: skip
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_ERRORS = frozenset({"timeout", "connection_refused", "connection_reset", "connection_error"})
MAX_RETRY_AFTER = 120.0
_READ = 1 << 16
log = structlog.get_logger("marketloop.crawl")


@dataclass(slots=True)
class Response:
    url: str
    method: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, repeats joined
    body: bytes = b""
    size: int = 0  # bytes received (for HEAD: Content-Length)
    error: str | None = None
    elapsed_ms: float | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def transient(self) -> bool:
        return self.error in RETRY_ERRORS or self.status in RETRY_STATUSES


class Fetcher:
    def __init__(
        self,
        settings: CrawlSettings,
        resolver: PolicyResolver,
        gates: Gates,
        headers_for: Callable[[str], dict[str, str]] = lambda url: {},
    ) -> None:
        self.settings = settings
        self.gates = gates
        self.headers_for = headers_for  # per URL: staging credentials (crawl/access.py)
        connector = aiohttp.TCPConnector(
            resolver=resolver,
            use_dns_cache=False,  # every new connection is resolved and checked by the policy
            limit=0,
            limit_per_host=settings.concurrency,
            ssl=tls_context(settings.ca_file),
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": settings.user_agent, "Accept": "*/*"},
            timeout=aiohttp.ClientTimeout(
                total=settings.timeout, sock_connect=settings.connect_timeout
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
        )

    async def get(self, url: str, method: str = "GET", max_body: int | None = None) -> Response:
        """Fetch `url` once, or more times while the failure is transient and retries remain."""
        gate = self.gates.gate(url)
        attempt = 0
        while True:
            async with gate.slot():
                response = await self.once(url, method, max_body or self.settings.max_body_bytes)
            if not response.transient or attempt >= self.settings.retries:
                return response
            delay = self.settings.backoff * 2**attempt
            wait = retry_after(response.headers.get("retry-after"))
            if wait is not None:
                if wait > MAX_RETRY_AFTER:
                    return response
                gate.pause(wait)
                delay = max(delay, wait)
            attempt += 1
            await asyncio.sleep(delay)

    async def once(self, url: str, method: str, max_body: int) -> Response:
        response = Response(url, method)
        started = time.perf_counter()
        try:
            headers = self.headers_for(url)
            async with self.session.request(
                method, url, allow_redirects=False, headers=headers
            ) as raw:
                response.status = raw.status
                response.headers = {
                    name: ", ".join(raw.headers.getall(name))
                    for name in KEPT_HEADERS
                    if name in raw.headers
                }
                if method == "HEAD":
                    response.size = _int(response.headers.get("content-length")) or 0
                else:
                    await _read_body(raw, response, max_body)
        except Exception as exc:  # every failure becomes a recorded error code
            response.error = classify(exc)
            if response.error == "unexpected":
                log.warning("unexpected fetch error", url=url, error=repr(exc))
        response.elapsed_ms = (time.perf_counter() - started) * 1000
        return response

    async def close(self) -> None:
        await self.session.close()


async def _read_body(raw: aiohttp.ClientResponse, response: Response, max_body: int) -> None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in raw.content.iter_chunked(_READ):
        size += len(chunk)
        if size > max_body:
            response.error = "too_large"
            break
        chunks.append(chunk)
    response.body = b"".join(chunks)
    response.size = size


def classify(exc: BaseException) -> str:
    """The error code recorded for an exception raised while fetching."""
    code = next((code for kinds, code in _ERROR_CODES if isinstance(exc, kinds)), "unexpected")
    cause = getattr(exc, "os_error", exc)
    if isinstance(cause, PrivateAddressError | ConnectionRefusedError):
        return "private_address" if isinstance(cause, PrivateAddressError) else "connection_refused"
    if code == "connection_error" and getattr(cause, "errno", None) in _RESET_ERRNOS:
        return "connection_reset"
    return code


_ERROR_CODES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((asyncio.TimeoutError, aiohttp.ServerTimeoutError), "timeout"),
    (aiohttp.ClientConnectorDNSError, "dns"),
    ((aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError), "ssl"),
    (aiohttp.ClientConnectorError, "connection_error"),
    (aiohttp.InvalidURL, "invalid_url"),
    (aiohttp.ServerDisconnectedError, "connection_reset"),
    (aiohttp.ClientPayloadError, "payload_error"),
    (aiohttp.ClientResponseError, "invalid_response"),
    (OSError, "connection_error"),
    ((aiohttp.ClientError, ValueError, UnicodeError), "invalid_response"),
)
_RESET_ERRNOS = (errno.ECONNRESET, errno.EPIPE)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trust store, plus `ca_file` when given (an intranet or test CA)."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
