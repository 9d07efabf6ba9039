"""The observing layer of every HTTP request (pure ASGI): a request id on every log line of the
request and echoed in `X-Request-ID`, and the request counted by route template (never the raw
path: `/api/v1/runs/{run_id}`, not one series per run), method and status.

A client's `X-Request-ID` is kept when it is short and plain (letters, digits, `-_.:`);
anything else is replaced by a fresh id, so a hostile header never reaches a log line.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketloop.observe.metrics import HTTP_DURATION, HTTP_REQUESTS

log = structlog.get_logger("marketloop.api")
HEADER = b"x-request-id"
PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (HEADER, request_id.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = route_template(scope)
                method = scope.get("method", "GET")
                method = method if method in METHODS else "OTHER"
                took = time.perf_counter() - started
                HTTP_REQUESTS.labels(route, method, str(status)).inc()
                HTTP_DURATION.labels(route).observe(took)
                log.info("request", route=route, method=method, status=status,
                         ms=round(took * 1000, 1))  # fmt: skip


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path: object = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            given: str = value.decode("latin-1")
            if PLAIN_ID.match(given):
                return given
    return uuid.uuid4().hex
