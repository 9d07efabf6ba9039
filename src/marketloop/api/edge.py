"""The outermost layer of every request (pure ASGI, so it costs next to nothing): refuse bodies
over `[api] max_body_bytes` with 413 before they are read, and put the `RateLimit-*` headers the
authorisation dependency decided on the response, whatever the route returned."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketloop.api.errors import BodyTooLarge
from marketloop.api.problems import problem

RATE_HEADERS = "rate_headers"


class Edge:
    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            response = problem(413, f"the body is over {self.max_body} bytes", kind="about:blank")
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        seen = 0
        overflowed = False

        async def counted() -> Message:
            nonlocal seen, overflowed
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:  # a chunked body without Content-Length
                    overflowed = True
                    raise BodyTooLarge(f"the body is over {self.max_body} bytes")
            return message

        async def with_headers(message: Message) -> None:
            nonlocal overflowed
            if overflowed:  # whatever the app made of the broken body, the answer is 413
                overflowed = False
                too_large = problem(413, f"the body is over {self.max_body} bytes")
                await too_large(scope, receive, send)
                state["answered"] = True
                return
            if state.get("answered"):
                return
            if message["type"] == "http.response.start":
                extra = state.get(RATE_HEADERS)
                if extra:
                    message["headers"] = [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in extra.items()),
                    ]
            await send(message)

        await self.app(scope, counted, with_headers)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
