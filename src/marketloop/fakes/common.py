"""What the SaaS fakes share: deterministic numbers, Google-style errors, misbehaviour on
demand (`Faults`) and a token-bucket rate limiter.

Faults count *data pages*: the n-th data request a fake answers (1-based), so a test can say
"fail in the middle of paging" without knowing page sizes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import xxhash
from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

#: paths of a small marketing site, used when a fake is given none
DEFAULT_PATHS = (
    "/",
    "/product",
    "/pricing",
    "/blog",
    "/blog/email-marketing-automation",
    "/blog/seo-content-strategy",
    "/blog/lead-scoring-guide",
    "/blog/marketing-attribution-models",
    "/docs",
    "/docs/getting-started",
    "/contact",
)


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the given parts (same parts, same number)."""
    key = "|".join(str(p) for p in parts)
    return xxhash.xxh64_intdigest(key.encode()) / 2**64


def fractions(key: str) -> tuple[float, float, float]:
    """Three independent deterministic numbers in [0, 1) from one hash of `key`."""
    bits = xxhash.xxh64_intdigest(key.encode())
    mask = (1 << 21) - 1
    return (bits & mask) / 2**21, ((bits >> 21) & mask) / 2**21, ((bits >> 42) & mask) / 2**21


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def google_error(code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Google's JSON error body: {"error": {"code", "message", "status"}}."""
    status = GOOGLE_STATUS.get(code, "UNKNOWN")
    return json_response(
        {"error": {"code": code, "message": message, "status": status}}, code, headers
    )


INVALID_PAYLOAD = "Invalid JSON payload received."


async def google_payload(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or ValueError with Google's words for a body that is not JSON
    or not an object (answered as 400 INVALID_ARGUMENT)."""
    try:
        body = await request.json()
    except ValueError:
        raise ValueError(f"{INVALID_PAYLOAD} Unexpected token.") from None
    if not isinstance(body, dict):
        raise ValueError(f'{INVALID_PAYLOAD} Unknown name "": Root element must be a message.')
    return body


def check_fields(body: dict[str, Any], implemented: set[str], documented: set[str]) -> None:
    """ValueError (a 400 INVALID_ARGUMENT) for a field the API does not know, in Google's words,
    or for a documented field the fake does not implement, named."""
    for name in body:
        if name in implemented:
            continue
        if name in documented:
            raise ValueError(f"The field '{name}' is not implemented by this fake.")
        raise ValueError(f'{INVALID_PAYLOAD} Unknown name "{name}": Cannot find field.')


def json_errors(render: Callable[[int, str], web.Response]) -> Middleware:
    """A middleware that answers aiohttp's own errors (413 body too large, ...) with the
    service's JSON error, `render(status, message)`, instead of plain text."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return render(exc.status, exc.reason)

    return middleware


def method_not_found(app: web.Application) -> None:
    """Answer every route `app` does not serve as Google's JSON 404 (never aiohttp's text)."""

    async def answer(request: web.Request) -> web.Response:
        return google_error(404, f"Method not found: {request.method} {request.path}")

    app.router.add_route("*", "/{tail:.*}", answer)


def named_items(body: dict[str, Any], key: str) -> list[str]:
    """The `name` of each object in `body[key]` (GA4's dimensions and metrics), or ValueError
    with Google's words ("Unknown name "nam" at 'dimensions[0]': Cannot find field.")."""
    items = body.get(key) or []
    if not isinstance(items, list):
        raise ValueError(f"{INVALID_PAYLOAD} Invalid value at '{key}': expected a list.")
    names = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{INVALID_PAYLOAD} Invalid value at '{key}[{index}]'.")
        unknown = [name for name in item if name not in ("name", "expression")]
        if unknown or not isinstance(item.get("name"), str):
            field = unknown[0] if unknown else "name"
            raise ValueError(
                f"{INVALID_PAYLOAD} Unknown name \"{field}\" at '{key}[{index}]': "
                "Cannot find field."
            )
        names.append(item["name"])
    return names


def int_field(body: dict[str, Any], key: str, default: int) -> int:
    """An integer field (JSON number or numeric string, as protobuf JSON allows)."""
    value = body.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{INVALID_PAYLOAD} Invalid value at '{key}' (TYPE_INT64), {value!r}"
        ) from None


@dataclass
class Faults:
    """Switchable misbehaviour. `fail_on_page`: that data page (and the next `fail_times - 1`
    attempts) get `fail_status`; `malformed_on_page`: that page gets a truncated JSON body."""

    fail_on_page: int | None = None
    fail_status: int = 500
    fail_times: int = 1_000_000
    malformed_on_page: int | None = None
    retry_after: int | None = None  # whole seconds (RFC 9110), sent with injected 429/503
    pages: int = 0  # data pages answered so far (including injected failures)
    failures: int = 0

    def next_page(self) -> str | None:
        """Count a data request; say "fail" or "malformed" when this one should misbehave."""
        self.pages += 1
        failing = self.fail_on_page is not None and self.pages >= self.fail_on_page
        if failing and self.failures < self.fail_times:
            self.failures += 1
            return "fail"
        if self.malformed_on_page is not None and self.pages == self.malformed_on_page:
            return "malformed"
        return None

    def retry_headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def malformed_json() -> web.Response:
    return web.Response(body=b'{"rows": [{"keys": ["trunc', content_type="application/json")


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at capacity/`period` per second."""

    capacity: int
    period: float
    tokens: float = field(init=False)
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.capacity)

    def take(self) -> float:
        """0.0 when a request may pass now (and counts it), else seconds until one may."""
        now = time.monotonic()
        rate = self.capacity / self.period
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / rate

    @property
    def remaining(self) -> int:
        return int(self.tokens)
