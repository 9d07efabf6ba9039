"""A faithful fake of the PagerDuty Events API v2: `POST /v2/enqueue`.

Accepts trigger, acknowledge and resolve events for a 32-character routing key; answers 202
`{"status": "success", "message": "Event processed", "dedup_key": ...}`. A trigger without
`dedup_key` gets a new one; a trigger with the key of an open alert is deduplicated (no new
incident), as PagerDuty does. Invalid events get 400 `{"status": "invalid event", "message":
"Event object is invalid", "errors": [...]}`; an unknown routing key 400 too (PagerDuty's
"Invalid routing key"); past `rate` events per minute, 429 `{"status": "throttle event", ...}`.
Any other path: 404 JSON. `incidents` holds dedup_key -> state (triggered, acknowledged,
resolved) and `pages` counts the incidents opened.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from marketloop.fakes.common import Handler, TokenBucket

Json = dict[str, Any]
SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")


def invalid(*errors: str) -> web.Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}
    return web.json_response(body, status=400)


class PagerDutyFake:
    def __init__(
        self, routing_keys: set[str] | None = None, *, rate: tuple[int, float] | None = None
    ):
        self.routing_keys = routing_keys or {"R0UTINGKEY00000000000000000AIML0"}
        self._bucket = TokenBucket(*rate) if rate else None
        self.incidents: dict[str, str] = {}
        self.events: list[Json] = []
        self.pages = 0
        self.requests = 0
        self.app = web.Application(middlewares=[self._edge], client_max_size=512 * 1024)
        self.app.router.add_post("/v2/enqueue", self.enqueue)
        self.app.router.add_route("*", "/{tail:.*}", self.unknown)

    @web.middleware
    async def _edge(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests += 1
        if self._bucket is not None and self._bucket.take() > 0:
            body = {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly.",
            }
            return web.json_response(body, status=429)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return web.json_response({"status": "error", "message": exc.reason}, status=exc.status)

    async def unknown(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "error", "message": "Not found"}, status=404)

    async def enqueue(self, request: web.Request) -> web.Response:
        try:
            event = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return invalid("Request body is not valid JSON")
        if not isinstance(event, dict):
            return invalid("Event object must be a JSON object")
        errors = _errors(event)
        if errors:
            return invalid(*errors)
        if event["routing_key"] not in self.routing_keys:
            return invalid("Invalid routing key")
        action = event["event_action"]
        key = str(event.get("dedup_key") or uuid.uuid4().hex)
        state = self.incidents.get(key)
        if action == "trigger" and state in (None, "resolved"):
            self.pages += 1
            self.incidents[key] = "triggered"
        elif action == "acknowledge" and state == "triggered":
            self.incidents[key] = "acknowledged"
        elif action == "resolve" and state in ("triggered", "acknowledged"):
            self.incidents[key] = "resolved"
        self.events.append(event | {"dedup_key": key})
        body = {"status": "success", "message": "Event processed", "dedup_key": key}
        return web.json_response(body, status=202)


def _errors(event: Json) -> list[str]:
    errors = []
    if not isinstance(event.get("routing_key"), str) or len(event["routing_key"]) != 32:
        errors.append("'routing_key' is missing or not 32 characters")
    if event.get("event_action") not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    if event.get("event_action") in ("acknowledge", "resolve") and not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve events")
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing")
        else:
            missing = [n for n in ("summary", "source", "severity") if not payload.get(n)]
            errors.extend(f"'payload.{name}' is missing or blank" for name in missing)
            if payload.get("severity") and payload["severity"] not in SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
            if len(str(payload.get("summary") or "")) > 1024:
                errors.append("'payload.summary' is longer than 1024 characters")
    return errors
