"""A faithful fake of the Slack Web API: the part marketloop posts with.

    fake = SlackFake(token="xoxb-...", channels={"C0AIML": "aiml-delivery"})
    with LocalServer(fake.app) as server: WebClient(token, base_url=server.url + "/api/")

Slack answers HTTP 200 with `{"ok": false, "error": "<code>"}` for a refused call (a bad token
is `invalid_auth`, none `not_authed`, an unknown method `unknown_method`), and HTTP 429 with
`Retry-After` and `{"ok": false, "error": "ratelimited"}` past a method's limit:
chat.postMessage allows about one message per second per channel (a short burst passes).
Implements `auth.test`, `chat.postMessage` (form or JSON bodies; `channel` by id or `#name`;
`text` and/or `blocks` ≤ 50; `thread_ts` replies, counted on the parent as `reply_count`) and
`conversations.replies` (a thread: its parent, then the replies; `thread_not_found` for an
unknown `ts`). Messages are kept in `messages`.

Incoming webhooks (`POST /services/T.../B.../secret`, one per channel in `webhooks`) answer as
Slack's do: HTTP 200 with the plain text `ok`, or a plain-text error code with its status —
400 `invalid_payload` (not a JSON object, nor a form with `payload=`), 400 `no_text`, 404
`no_service` (an unknown or removed webhook), 410 `channel_is_archived` (`archived`), and 429
with `Retry-After` past about one message per second. They return no `ts`.
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
        webhooks: dict[str, str] | None = None,
        archived: set[str] | None = None,
    ) -> None:
        self.token = token
        self.channels = channels or {"C0AIML0001": "aiml-delivery"}  # id -> name
        #: "T.../B.../secret" (the webhook URL's path after /services/) -> channel id
        self.webhooks = webhooks or {f"T0ACME/B0HOOK{n:04d}/hooksecret{n:016d}": cid
                                     for n, cid in enumerate(self.channels)}  # fmt: skip
        self.archived = archived or set()  # channel ids
        self.per_channel = per_channel
        self._buckets: dict[str, TokenBucket] = {}
        self._fail: list[int] = []  # Retry-After seconds of injected 429s
        self.messages: list[Json] = []
        self.requests = 0
        self.app = web.Application(middlewares=[self._edge], client_max_size=1024 * 1024)
        self.app.router.add_route("*", "/api/auth.test", self.auth_test)
        self.app.router.add_route("*", "/api/chat.postMessage", self.post_message)
        self.app.router.add_route("*", "/api/conversations.replies", self.replies)
        self.app.router.add_post("/services/{team}/{bot}/{secret}", self.webhook)
        self.app.router.add_route("*", "/{tail:.*}", self.unknown)

    def webhook_url(self, base: str, channel: str) -> str:
        """The webhook URL of `channel` (id) on the fake served at `base`."""
        path = next(p for p, cid in self.webhooks.items() if cid == channel)
        return f"{base}/services/{path}"

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
        if channel in self.archived:
            return refused("is_archived")
        wait = self._pace(channel)
        if wait:
            return answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": wait})
        message = self._keep(channel, args, blocks)
        return answer({"ok": True, "channel": channel, "ts": message["ts"], "message": message})

    async def replies(self, request: web.Request) -> web.Response:
        args, token = await self._args(request)
        if (failed := self._auth(token)) is not None:
            return failed
        channel = self._channel(str(args.get("channel") or ""))
        if channel is None:
            return refused("channel_not_found")
        ts = str(args.get("ts") or "")
        thread = [
            {k: v for k, v in m.items() if k != "channel"}
            for m in self.messages
            if m["channel"] == channel and ts in (m["ts"], m.get("thread_ts"))
        ]
        if not any(m["ts"] == ts for m in thread):
            return refused("thread_not_found")
        return answer({"ok": True, "messages": thread, "has_more": False})

    async def webhook(self, request: web.Request) -> web.Response:
        info = request.match_info
        channel = self.webhooks.get(f"{info['team']}/{info['bot']}/{info['secret']}")
        args = await _webhook_payload(request) if channel is not None else None
        refusal = self._webhook_refusal(channel, args)
        if refusal is not None:
            return refusal
        assert channel is not None and args is not None
        self._keep(channel, args, self._check(args)[1], via="webhook")
        return web.Response(text="ok")

    def _webhook_refusal(self, channel: str | None, args: Json | None) -> web.Response | None:
        """Slack's plain-text answer to a webhook message it would not post (None: post it)."""
        if channel is None:
            return web.Response(status=404, text="no_service")
        if args is None:
            return web.Response(status=400, text="invalid_payload")
        code, _ = self._check(args)
        if code is not None:
            return web.Response(status=400, text="invalid_payload" if "blocks" in code else code)
        if channel in self.archived:
            return web.Response(status=410, text="channel_is_archived")
        wait = self._pace(channel)
        if wait:
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": wait})
        return None

    def _pace(self, channel: str) -> str | None:
        """None, or the Retry-After (seconds) of a message past the channel's rate."""
        wait = self._buckets.setdefault(channel, TokenBucket(*self.per_channel)).take()
        return str(max(1, int(wait + 0.999))) if wait > 0 else None

    def _keep(self, channel: str, args: Json, blocks: list[Any] | None, via: str = "api") -> Json:
        ts = f"{time.time():.6f}"
        while any(m["ts"] == ts for m in self.messages):  # unique per workspace, as Slack's
            ts = f"{float(ts) + 0.000001:.6f}"
        thread_ts = args.get("thread_ts")
        message = {"type": "message", "text": args.get("text") or "", "blocks": blocks or [],
                   "ts": ts, "thread_ts": thread_ts, "bot_id": "B0BOT"}  # fmt: skip
        for parent in self.messages:
            if thread_ts and parent["ts"] == thread_ts and parent["channel"] == channel:
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["thread_ts"] = thread_ts
        self.messages.append(message | {"channel": channel, "via": via})
        return message

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


async def _webhook_payload(request: web.Request) -> Json | None:
    """A webhook's message: a JSON object, or one in a form's `payload`; None if neither."""
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            payload = (await request.post()).get("payload")
            args = json.loads(payload if isinstance(payload, str) else "")
        else:
            args = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return args if isinstance(args, dict) else None
