"""A faithful fake of the Slack Web API: the part marketloop posts with.

    fake = SlackFake(token="xoxb-...", channels={"C0AIML": "aiml-delivery"})
    with LocalServer(fake.app) as server: WebClient(token, base_url=server.url + "/api/")

Slack answers HTTP 200 with `{"ok": false, "error": "<code>"}` for a refused call (a bad token
is `invalid_auth`, none `not_authed`, an unknown method `unknown_method`), and HTTP 429 with
`Retry-After` and `{"ok": false, "error": "ratelimited"}` past a method's limit:
chat.postMessage allows about one message per second per channel (a short burst passes).
Implements `auth.test` and `chat.postMessage` (form or JSON bodies; `channel` by id or
`#name`; `text` and/or `blocks` ≤ 50; `thread_ts` replies). Messages are kept in `messages`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from marketloop.fakes.common import Handler, TokenBucket

Json = dict[str, Any]
MAX_BLOCKS = 50
MAX_TEXT = 40_000


def answer(body: Json, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def refused(code: str) -> web.Response:
    return answer({"ok": False, "error": code})


class SlackFake:
    def __init__(
        self,
        token: str = "xoxb-1111-2222-fakefakefake",  # noqa: S107 - the fake's own token
        channels: dict[str, str] | None = None,
        *,
        per_channel: tuple[int, float] = (3, 3.0),
    ) -> None:
        self.token = token
        self.channels = channels or {"C0AIML0001": "aiml-delivery"}  # id -> name
        self.per_channel = per_channel
        self._buckets: dict[str, TokenBucket] = {}
        self._fail: list[int] = []  # Retry-After seconds of injected 429s
        self.messages: list[Json] = []
        self.requests = 0
        self.app = web.Application(middlewares=[self._edge], client_max_size=1024 * 1024)
        self.app.router.add_route("*", "/api/auth.test", self.auth_test)
        self.app.router.add_route("*", "/api/chat.postMessage", self.post_message)
        self.app.router.add_route("*", "/{tail:.*}", self.unknown)

    def fail_next(self, retry_after: int = 1) -> None:
        self._fail.append(retry_after)

    @web.middleware
    async def _edge(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests += 1
        if self._fail:
            return answer(
                {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(self._fail.pop(0))}
            )
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return answer({"ok": False, "error": "invalid_request"}, exc.status)

    async def unknown(self, request: web.Request) -> web.Response:
        return refused("unknown_method")

    async def _args(self, request: web.Request) -> tuple[Json, str | None]:
        """The call's arguments (query, form or JSON) and the token it carries."""
        args: Json = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = json.loads(await request.read() or b"{}")
                args |= body if isinstance(body, dict) else {}
            else:
                args |= dict(await request.post())
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return args, token if scheme.lower() == "bearer" else args.pop("token", None)

    def _auth(self, token: str | None) -> web.Response | None:
        if not token:
            return refused("not_authed")
        return None if token == self.token else refused("invalid_auth")

    async def auth_test(self, request: web.Request) -> web.Response:
        _, token = await self._args(request)
        who = {"url": "https://acme.slack.com/", "team": "Acme", "user": "marketloop"}
        who |= {"team_id": "T0ACME", "user_id": "U0BOT", "bot_id": "B0BOT"}
        return self._auth(token) or answer({"ok": True, **who})

    async def post_message(self, request: web.Request) -> web.Response:
        args, token = await self._args(request)
        if (failed := self._auth(token)) is not None:
            return failed
        channel = self._channel(str(args.get("channel") or ""))
        code, blocks = self._check(args)
        if channel is None or code is not None:
            return refused(code or "channel_not_found")
        bucket = self._buckets.setdefault(channel, TokenBucket(*self.per_channel))
        wait = bucket.take()
        if wait > 0:
            headers = {"Retry-After": str(max(1, int(wait + 0.999)))}
            return answer({"ok": False, "error": "ratelimited"}, 429, headers)
        ts = f"{time.time():.6f}"
        message = {"type": "message", "text": args.get("text") or "", "blocks": blocks or [],
                   "ts": ts, "thread_ts": args.get("thread_ts"), "bot_id": "B0BOT"}  # fmt: skip
        self.messages.append(message | {"channel": channel})
        return answer({"ok": True, "channel": channel, "ts": ts, "message": message})

    @staticmethod
    def _check(args: Json) -> tuple[str | None, list[Any] | None]:
        """Slack's error code for a message it would refuse (None: fine), and its blocks."""
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except json.JSONDecodeError:
                return "invalid_blocks_format", None
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS):
            return "invalid_blocks", None
        if not args.get("text") and not blocks:
            return "no_text", None
        if len(str(args.get("text") or "")) > MAX_TEXT:
            return "msg_too_long", None
        return None, blocks

    def _channel(self, given: str) -> str | None:
        if given in self.channels:
            return given
        name = given.removeprefix("#")
        return next((cid for cid, n in self.channels.items() if n == name), None)
