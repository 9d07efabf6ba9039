"""A fake of HubSpot's CRM v3 object API for contacts, companies and deals.

    GET  /crm/v3/objects/{object}                   list: limit ≤ 100, `after` cursor,
                                                     properties, associations, archived
    POST /crm/v3/objects/{object}/search            filterGroups, one sort, limit ≤ 200,
                                                     `after`; 10,000 results per query at most
    POST /crm/v4/associations/{from}/{to}/batch/read  up to 1,000 ids

Faithful where a client can tell: bearer tokens (401 INVALID_AUTHENTICATION, or
EXPIRED_AUTHENTICATION for a token in `expired`), HubSpot's error body (`status`, `message`,
`correlationId`, `category`), `X-HubSpot-RateLimit-*` headers on everything but search, 429
RATE_LIMIT with `Retry-After` (knob) past the limits, property values as strings, archived
records only with `archived=true`, 400 VALIDATION_ERROR for malformed requests (`limit=abc`, a
body that is not a JSON object). Knobs: `faults`, `rate_limit` (requests per interval),
`search_rps`, `expired`, and the portal's data (`data.modify`, `archive`, `add`, `custom`).
"""

from __future__ import annotations

import base64
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from marketloop.fakes.common import Faults, TokenBucket, json_response, malformed_json
from marketloop.fakes.hubspot_data import OBJECTS, HubspotData
from marketloop.fakes.hubspot_search import SearchError, run_search

SEARCH_CAP = 10_000
ASSOCIATION_TYPES = {("contacts", "companies"): 279, ("deals", "contacts"): 3}


def hubspot_error(
    status: int, message: str, category: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    return json_response(body, status, headers)


class BadRequest(ValueError):
    """A malformed request: HubSpot answers 400 VALIDATION_ERROR with its error body."""


def _int_query(query: Any, name: str, default: int) -> int:
    text = query.get(name, str(default))
    try:
        return int(text)
    except ValueError:
        message = f"Invalid value for query parameter {name}: {text!r} is not an integer"
        raise BadRequest(message) from None


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("Invalid input JSON on line 1: the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Invalid input JSON: expected an object")
    return body


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode().rstrip("=")


def _uncursor(text: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise BadRequest(f"Invalid paging cursor after={text!r}") from None


@dataclass
class HubspotFake:
    tokens: set[str]
    data: HubspotData = field(default_factory=HubspotData)
    faults: Faults = field(default_factory=Faults)
    expired: set[str] = field(default_factory=set)
    rate_limit: tuple[int, float] | None = None  # (requests, per seconds), e.g. (100, 10.0)
    search_rps: float | None = None
    daily_limit: int = 500_000
    search_cap: int = SEARCH_CAP  # HubSpot's: results per search query
    requests: int = 0
    throttled: int = 0
    _bucket: TokenBucket | None = None
    _search_bucket: TokenBucket | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/crm/v3/objects/{object}", self._list)
        app.router.add_post("/crm/v3/objects/{object}/search", self._search)
        app.router.add_post("/crm/v4/associations/{from}/{to}/batch/read", self._associations)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Authentication, rate limits and injected faults, in HubSpot's order."""
        self.requests += 1
        self.daily_limit -= 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token in self.expired:
            return hubspot_error(
                401, "The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION"
            )
        if token not in self.tokens:
            return hubspot_error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        search = request.path.endswith("/search")
        wait = self._take(search)
        headers = {} if search else self._limit_headers()
        if wait:
            self.throttled += 1
            # RFC 9110: delay-seconds is a whole number; round up so a retry then passes
            retry = self.faults.retry_headers() or {"Retry-After": str(math.ceil(wait))}
            return hubspot_error(
                429,
                "You have reached your ten_secondly_rolling limit.",
                "RATE_LIMITS",
                {**headers, **retry},
            )
        fault = self.faults.next_page()
        if fault == "fail":
            return hubspot_error(
                self.faults.fail_status,
                "internal error",
                "INTERNAL_ERROR",
                self.faults.retry_headers(),
            )
        try:
            response = malformed_json() if fault == "malformed" else await handler(request)
        except BadRequest as exc:
            response = hubspot_error(400, str(exc), "VALIDATION_ERROR")
        response.headers.update(headers)
        return response

    def _take(self, search: bool) -> float:
        if search and self.search_rps:
            burst = max(1, int(self.search_rps))
            self._search_bucket = self._search_bucket or TokenBucket(burst, burst / self.search_rps)
            return self._search_bucket.take()
        if not search and self.rate_limit:
            self._bucket = self._bucket or TokenBucket(*self.rate_limit)
            return self._bucket.take()
        return 0.0

    def _limit_headers(self) -> dict[str, str]:
        if self.rate_limit is None:
            return {}
        capacity, period = self.rate_limit
        remaining = self._bucket.remaining if self._bucket else capacity
        return {
            "X-HubSpot-RateLimit-Max": str(capacity),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(period * 1000)),
            "X-HubSpot-RateLimit-Daily": "500000",
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit)),
        }

    def _object(self, request: web.Request) -> str:
        obj = request.match_info["object"]
        if obj not in OBJECTS:
            raise web.HTTPNotFound(text=f"Unable to infer object type from: {obj}")
        return obj

    async def _list(self, request: web.Request) -> web.Response:
        obj = self._object(request)
        query = request.query
        limit = _int_query(query, "limit", 10)
        if not 1 <= limit <= 100:
            return hubspot_error(
                400, f"limit must be between 1 and 100, was {limit}", "VALIDATION_ERROR"
            )
        wanted = [p for value in query.getall("properties", []) for p in value.split(",") if p]
        links = [a for value in query.getall("associations", []) for a in value.split(",") if a]
        archived = query.get("archived", "false") == "true"
        index = _uncursor(query["after"]) if "after" in query else 0
        results: list[dict[str, Any]] = []
        while index < self.data.counts[obj] and len(results) < limit:
            if self.data.archived(obj, index) == archived:
                results.append(self._with_links(obj, index, wanted, links))
            index += 1
        body: dict[str, Any] = {"results": results}
        if index < self.data.counts[obj]:
            after = _cursor(index)
            body["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
        return json_response(body)

    def _with_links(
        self, obj: str, index: int, wanted: list[str], links: list[str]
    ) -> dict[str, Any]:
        record = self.data.record(obj, index, wanted)
        for to in links:
            linked = self.data.associated(obj, index, to)
            if linked:
                kind = f"{obj[:-1]}_to_{to[:-1]}"
                record.setdefault("associations", {})[to] = {
                    "results": [{"id": self.data.ident(to, j), "type": kind} for j in linked]
                }
        return record

    async def _search(self, request: web.Request) -> web.Response:
        obj = self._object(request)
        body = await _json_object(request)
        try:
            return json_response(run_search(self.data, obj, body, cap=self.search_cap))
        except SearchError as exc:
            return hubspot_error(400, str(exc), "VALIDATION_ERROR")

    async def _associations(self, request: web.Request) -> web.Response:
        source, target = request.match_info["from"], request.match_info["to"]
        if (source, target) not in ASSOCIATION_TYPES:
            return hubspot_error(
                400, f"{source} to {target} is not a valid association", "VALIDATION_ERROR"
            )
        inputs = (await _json_object(request)).get("inputs", [])
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise BadRequest("inputs must be a list of objects with an id")
        if len(inputs) > 1000:
            return hubspot_error(400, "Batch read is limited to 1000 inputs", "VALIDATION_ERROR")
        results: list[dict[str, Any]] = []
        for item in inputs:
            index = self.data.index_of(source, str(item.get("id", "")))
            linked = self.data.associated(source, index, target) if index is not None else []
            if linked:
                types = [
                    {
                        "category": "HUBSPOT_DEFINED",
                        "typeId": ASSOCIATION_TYPES[(source, target)],
                        "label": None,
                    }
                ]
                to = [
                    {"toObjectId": int(self.data.ident(target, j)), "associationTypes": types}
                    for j in linked
                ]
                results.append({"from": {"id": item["id"]}, "to": to})
        now = datetime.now(UTC).isoformat()
        return json_response(
            {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        )
