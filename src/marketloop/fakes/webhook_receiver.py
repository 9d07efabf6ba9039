"""A webhook receiver for tests and the demo: what your endpoint (or a Zapier Catch Hook) sees.

    receiver = WebhookReceiver(secret="s3cret")
    with LocalServer(receiver.app) as server:      # POST server.url + "/hooks/<name>"
        ...
    receiver.events                                # accepted events, once each

Hooks live under `/hooks/<name>[/<token>...]`. It checks the Standard Webhooks headers
(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the shared secret, as a receiver
using a Standard Webhooks library does (401 when they do not verify), drops repeats by
`webhook-id` per hook
(answering 200, as a receiver should), and answers like a Zapier Catch Hook:
`{"status": "success", "attempt", "id", "request_id"}`. Knobs: `fail_next` (statuses to answer
before accepting, e.g. [500, 429]), `retry_after` for those 429s, and `delay` per answer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web

from marketloop.integrations.signing import ID_HEADER, signing_key, verify

Json = dict[str, Any]


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.key = signing_key(secret)
        self.events: list[Json] = []  # accepted events, first delivery of each id
        self.hooks: list[str] = []  # the hook name each accepted event came in on
        self.attempts = 0  # every POST, failures and repeats included
        self.repeats = 0  # deliveries dropped as already seen
        self.rejected_signatures = 0
        self.fail_next: list[int] = []
        self.retry_after = "1"
        self.delay = 0.0  # seconds before each answer, like a real endpoint's latency
        self.app = web.Application()
        self.app.router.add_post("/hooks/{name}", self._receive)
        self.app.router.add_post("/hooks/{name}/{token:.*}", self._receive)  # Zapier-style
        self.app.router.add_get("/events", self._list)

    async def _receive(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"Retry-After": self.retry_after} if status == 429 else None
            return web.json_response({"status": "error"}, status=status, headers=headers)
        if not verify(body, request.headers, self.key):
            self.rejected_signatures += 1
            return web.json_response({"status": "error", "message": "bad signature"}, status=401)
        seen = (request.match_info["name"], request.headers.get(ID_HEADER, ""))
        if seen in zip(self.hooks, (event.get("id") for event in self.events), strict=True):
            self.repeats += 1
        else:
            self.events.append(json.loads(body))
            self.hooks.append(seen[0])
        ids = {name: str(uuid.uuid4()) for name in ("attempt", "id", "request_id")}
        return web.json_response({"status": "success", **ids})

    async def _list(self, _: web.Request) -> web.Response:
        return web.json_response(self.events)
