"""A fake of HubSpot's CRM v3/v4 object API for contacts, companies and deals.

    GET  /crm/v3/objects/{object}                   list: limit ≤ 100, `after` cursor,
                                                     properties, associations, archived
    GET  /crm/v3/objects/{object}/{id}              one record (see `hubspot_records.py`)
    POST /crm/v3/objects/{object}/batch/read        ≤ 100 ids
    POST /crm/v3/objects/{object}/search            filterGroups, `query`, one sort,
                                                     limit ≤ 200, `after`; 10,000 results at most
    POST /crm/v4/associations/{from}/{to}/batch/read  up to 1,000 ids
    GET  /crm/v4/objects/{from}/{id}/associations/{to}

Faithful where a client can tell: bearer tokens (401 INVALID_AUTHENTICATION, or
EXPIRED_AUTHENTICATION for a token in `expired`), HubSpot's error body (`status`, `message`,
`correlationId`, `category`), `X-HubSpot-RateLimit-*` headers on everything but search, 429 with
HubSpot's body (`errorType` RATE_LIMIT, `policyName`) and `Retry-After` past the limits,
property values as strings, archived records only with `archived=true` (any case), 400
VALIDATION_ERROR for malformed requests (`limit=abc`, a body that is not a JSON object, an
unknown body field) and for documented parameters the fake does not implement (named), 404
OBJECT_NOT_FOUND for any other route. Knobs: `faults`, `rate_limit` (requests per interval),
`search_rps`, `expired`, and the portal's data (`data.modify`, `archive`, `add`, `custom`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from marketloop.fakes import hubspot_records as records
from marketloop.fakes.common import Faults, TokenBucket, json_errors, json_response, malformed_json
from marketloop.fakes.hubspot_data import OBJECTS, HubspotData
from marketloop.fakes.hubspot_http import (
    BadRequest,
    HubspotError,
    answer,
    cursor,
    flag_query,
    hubspot_error,
    int_query,
    json_object,
    list_query,
    rate_limited,
    refuse_query,
    uncursor,
)
from marketloop.fakes.hubspot_search import SearchError, run_search

SEARCH_CAP = 10_000
SEARCH_FIELDS = frozenset({"filterGroups", "sorts", "query", "properties", "limit", "after"})
BATCH_FIELDS = frozenset({"inputs", "properties", "propertiesWithHistory", "idProperty"})


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
        too_large = json_errors(
            lambda status, text: hubspot_error(status, text, "VALIDATION_ERROR")
        )
        app = web.Application(middlewares=[too_large, self._gate])
        route = app.router
        route.add_get("/crm/v3/objects/{object}", self._list)
        route.add_get("/crm/v3/objects/{object}/{id}", self._read)
        route.add_post("/crm/v3/objects/{object}/batch/read", self._batch_read)
        route.add_post("/crm/v3/objects/{object}/search", self._search)
        route.add_post("/crm/v4/associations/{from}/{to}/batch/read", self._associations)
        route.add_get("/crm/v4/objects/{from}/{id}/associations/{to}", self._associations_of)
        route.add_route("*", "/{tail:.*}", self._unknown)  # HubSpot's JSON 404, never plain text
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
            policy = "SECONDLY" if search else "TEN_SECONDLY_ROLLING"
            return rate_limited(policy, {**headers, **retry})
        fault = self.faults.next_page()
        if fault == "fail" and self.faults.fail_status == 429:
            return rate_limited("TEN_SECONDLY_ROLLING", {**headers, **self.faults.retry_headers()})
        if fault == "fail":
            return hubspot_error(
                self.faults.fail_status,
                "internal error",
                "INTERNAL_ERROR",
                self.faults.retry_headers(),
            )
        try:
            response = malformed_json() if fault == "malformed" else await handler(request)
        except HubspotError as exc:
            response = answer(exc)
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

    def _object(self, request: web.Request, key: str = "object") -> str:
        obj = request.match_info[key]
        if obj not in OBJECTS:
            raise BadRequest(f"Unable to infer object type from: {obj}")
        return obj

    async def _list(self, request: web.Request) -> web.Response:
        obj, query = self._object(request), request.query
        refuse_query(query, "propertiesWithHistory")
        limit = int_query(query, "limit", 10)
        if not 1 <= limit <= 100:
            raise BadRequest(f"limit must be between 1 and 100, was {limit}")
        wanted, links = list_query(query, "properties"), list_query(query, "associations")
        archived = flag_query(query, "archived")
        index = uncursor(query["after"]) if "after" in query else 0
        results: list[dict[str, Any]] = []
        while index < self.data.counts[obj] and len(results) < limit:
            if self.data.archived(obj, index) == archived:
                results.append(records.with_links(self.data, obj, index, wanted, links))
            index += 1
        body: dict[str, Any] = {"results": results}
        if index < self.data.counts[obj]:
            after = cursor(index)
            body["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
        return json_response(body)

    async def _read(self, request: web.Request) -> web.Response:
        obj, query = self._object(request), request.query
        refuse_query(query, "propertiesWithHistory")
        wanted, links = list_query(query, "properties"), list_query(query, "associations")
        ident, archived = request.match_info["id"], flag_query(query, "archived")
        found = records.read_one(
            self.data, obj, ident, wanted, links, archived, query.get("idProperty")
        )
        return json_response(found)

    async def _batch_read(self, request: web.Request) -> web.Response:
        obj = self._object(request)
        body = await json_object(request, BATCH_FIELDS)
        archived = flag_query(request.query, "archived")
        status, answer_ = records.batch_read(self.data, obj, body, archived)
        return json_response(answer_, status)

    async def _search(self, request: web.Request) -> web.Response:
        obj = self._object(request)
        body = await json_object(request, SEARCH_FIELDS)
        try:
            return json_response(run_search(self.data, obj, body, cap=self.search_cap))
        except SearchError as exc:
            raise BadRequest(str(exc)) from None

    async def _associations(self, request: web.Request) -> web.Response:
        source, target = request.match_info["from"], request.match_info["to"]
        body = await json_object(request, frozenset({"inputs"}))
        return json_response(records.association_batch(self.data, source, target, body))

    async def _associations_of(self, request: web.Request) -> web.Response:
        match, query = request.match_info, request.query
        limit, after = int_query(query, "limit", 500), int_query(query, "after", 0)
        found = records.associations_of(
            self.data, match["from"], match["id"], match["to"], limit, after
        )
        return json_response(found)

    async def _unknown(self, request: web.Request) -> web.Response:
        # HubSpot answers a path it does not route with 404 and its JSON error body
        message = f"No route for {request.method} {request.path} in this fake"
        return hubspot_error(404, message, "OBJECT_NOT_FOUND")
