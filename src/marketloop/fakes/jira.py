"""A faithful fake of the Jira Cloud REST API v3: the part the ticket sync uses.

    fake = JiraFake({"SEO": "Website SEO"}, accounts={"ops@example.com": "api-token"}, lag=2.0)
    with LocalServer(fake.app) as server: ...

Basic auth (email + API token) on every route; 401 without it, 403 for an account in
`read_only` on a write. Errors in Jira's shape `{"errorMessages": [...], "errors": {...}}`.
Rate limit: a token bucket (`rate = (requests, seconds)`), 429 with `Retry-After` in whole
seconds. Search (`/rest/api/3/search/jql`, GET or POST) pages with `nextPageToken` and lags by
`lag` seconds (jira_store.py); the removed `/rest/api/3/search` and `/rest/api/2/search`
answer 410 as Jira does. Any other route: 404 in Jira's shape. What the fake does: see
docs/fakes.md "Jira Cloud".
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import Counter
from typing import Any

from aiohttp import web

from marketloop.fakes.common import Handler, TokenBucket
from marketloop.fakes.jira_routes import ACCOUNT, add_routes
from marketloop.fakes.jira_store import JiraStore, JiraStoreError

Json = dict[str, Any]
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def error(status: int, messages: list[str], headers: dict[str, str] | None = None) -> web.Response:
    body = {"errorMessages": messages, "errors": {}}
    return web.json_response(body, status=status, headers=headers)


class JiraFake:
    def __init__(
        self,
        projects: dict[str, str] | None = None,
        accounts: dict[str, str] | None = None,
        *,
        lag: float = 0.0,
        rate: tuple[int, float] | None = None,
    ) -> None:
        self.store = JiraStore(projects or {"SEO": "Website SEO"}, lag)
        self.accounts = accounts or {"ops@example.com": "jira-api-token"}
        self.read_only: set[str] = set()
        self.rate = rate
        self._bucket = TokenBucket(*rate) if rate else None
        self._fail: list[tuple[int, int]] = []  # (status, retry_after) for the next requests
        self.requests: Counter[str] = Counter()  # "METHOD route" -> count
        self.throttled = 0
        self.app = self._build()

    @property
    def token(self) -> str:
        """`email:token` of the first account (what the contract suite passes around)."""
        email, token = next(iter(self.accounts.items()))
        return f"{email}:{token}"

    def fail_next(self, status: int, retry_after: int = 1, times: int = 1) -> None:
        self._fail.extend([(status, retry_after)] * times)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def _build(self) -> web.Application:
        app = web.Application(middlewares=[self._edge], client_max_size=10 * 1024 * 1024)
        add_routes(app, self)
        for removed in ("/rest/api/3/search", "/rest/api/2/search"):
            app.router.add_route("*", removed, self._removed)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        return app

    @web.middleware
    async def _edge(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else request.path
        self.requests[f"{request.method} {name}"] += 1
        email = self._account(request)
        refused = self._refusal(request, email)
        if refused is not None or email is None:
            return refused or error(401, ["Client must be authenticated."])
        request[ACCOUNT] = email
        try:
            return await handler(request)
        except JiraStoreError as exc:
            return web.json_response(exc.body, status=exc.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error(exc.status, [exc.reason])
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a malformed body
            return error(400, [f"The request is not valid: {type(exc).__name__}."])

    def _refusal(self, request: web.Request, email: str | None) -> web.Response | None:
        """401, an injected failure, 429 or 403 for this request, or None to serve it."""
        if email is None:
            return error(401, ["Client must be authenticated to access this resource."])
        if self._fail:
            status, retry_after = self._fail.pop(0)
            return error(status, ["Injected failure."], {"Retry-After": str(retry_after)})
        if self._bucket is not None:
            wait = self._bucket.take()
            if wait > 0:
                self.throttled += 1
                return error(
                    429, ["Rate limit exceeded."], {"Retry-After": str(max(1, math.ceil(wait)))}
                )
        if request.method != "GET" and email in self.read_only:
            return error(403, ["You do not have permission to perform this operation."])
        return None

    def _account(self, request: web.Request) -> str | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            email, _, token = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return email if self.accounts.get(email) == token and token else None

    async def _removed(self, request: web.Request) -> web.Response:
        return error(410, [REMOVED_SEARCH])

    async def _unknown(self, request: web.Request) -> web.Response:
        return error(404, [f"No API route matches {request.method} {request.path}."])
