"""A fake of the Notion API (version 2025-09-03), served on 127.0.0.1 with `LocalServer`.

    fake = NotionFake()
    database_id, data_source_id = fake.add_database("Content briefs", BRIEF_SCHEMA)
    with LocalServer(fake.app) as server:   # base_url=server.url, token=fake.token
        ...
    fake.pages_in(data_source_id); fake.body(page_id)   # state, for inspection

Like Notion: `Authorization: Bearer` and `Notion-Version` required (401 `unauthorized`, 400
`missing_version`); databases hold data sources; pages are created under a data source with
properties checked against its schema; at most 100 children per array, two levels of nesting,
1,000 block elements and 500 KB per request (400 `validation_error`), rich text at most 2,000
characters per object; queries with filters, sorts, `filter_properties` and cursor pagination
(`page_size` ≤ 100); nested children stored as child blocks (`has_children`); block children
listed, appended (`position` or the deprecated `after`) and deleted (archived); a page in the
trash refuses property edits and appends until restored; `created_by`/`last_edited_by` (the
integration's bot, `users.me`); error bodies `{"object": "error", "status", "code", "message",
"request_id"}`; an average rate limit answered with 429 `rate_limited` and `Retry-After`;
`fail_next(529)` answers 529 `service_overload` with `Retry-After`, as Notion does when
overloaded; objects not shared with the integration answer 404 `object_not_found`; endpoints the
fake does not serve answer 400 `invalid_request`, unknown URLs 400 `invalid_request_url`
(`notion_http.py`). Knobs (`fake.knobs`) provoke the rest: see `Knobs`. docs/fakes.md lists
what is implemented and what is refused.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from marketloop.fakes import notion_http as http
from marketloop.fakes import notion_rules as rules
from marketloop.fakes.common import json_errors
from marketloop.fakes.notion_knobs import Failure, Knobs, check_knobs, take_failure
from marketloop.fakes.notion_store import NotionStore, NotionStoreError

__all__ = ["BRIEF_SCHEMA", "DEFAULT_TOKEN", "VERSION", "Failure", "Knobs", "NotionFake"]

DEFAULT_TOKEN = "ntn_fake_0123456789abcdefghij"  # noqa: S105 - the fake's own test token
VERSION = "2025-09-03"
BRIEF_SCHEMA: dict[str, str | tuple[str, list[str]]] = {
    "Name": "title",
    "Cluster": "rich_text",
    "Intent": "select",
    "Opportunity": "number",
    "Status": ("status", ["Draft", "Ready", "Published"]),
    "Owner": "people",
    "marketloop_id": "rich_text",
}
Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class NotionFake(NotionStore):
    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.knobs = Knobs()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.rate_limited = 0  # 429s answered
        self._tokens = float(self.knobs.burst)
        self._stamp = time.monotonic()
        self.app = self._build_app()

    def fail_next(
        self,
        status: int,
        path: str = "",
        *,
        method: str | None = None,
        after_write: bool = False,
        skip: int = 0,
        retry_after: int = 1,
    ) -> None:
        failure = Failure(status, path, method, after_write, skip, retry_after)
        self.knobs.failures.append(failure)

    def _build_app(self) -> web.Application:
        # aiohttp's own 1 MiB cap would answer 413 first; Notion answers a 400 validation_error
        plain = json_errors(http.aiohttp_error)  # a body past even that cap: still JSON
        app = web.Application(middlewares=[plain, self._gate], client_max_size=16 * 1024 * 1024)
        route = app.router
        route.add_get("/v1/databases/{id}", self._get_database)
        route.add_get("/v1/data_sources/{id}", self._get_data_source)
        route.add_patch("/v1/data_sources/{id}", self._patch_data_source)
        route.add_post("/v1/data_sources/{id}/query", self._query)
        route.add_post("/v1/pages", self._create_page)
        route.add_get("/v1/pages/{id}", self._get_page)
        route.add_patch("/v1/pages/{id}", self._patch_page)
        route.add_get("/v1/blocks/{id}", self._get_block)
        route.add_get("/v1/blocks/{id}/children", self._list_children)
        route.add_patch("/v1/blocks/{id}/children", self._append_children)
        route.add_delete("/v1/blocks/{id}", self._delete_block)
        route.add_get("/v1/users", self._list_users)
        route.add_get("/v1/users/me", self._me)
        route.add_get("/v1/users/{id}", self._get_user)
        route.add_route("*", "/{tail:.*}", self._unknown)  # Notion's JSON 400, never plain text
        return app

    # --- the gate every request passes ---------------------------------------------------------

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self.knobs.delay:
            await asyncio.sleep(self.knobs.delay)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        failure = take_failure(self.knobs, request.method, request.path)
        if failure is not None and not failure.after_write:
            return http.injected(failure.status, failure.retry_after)
        too_large = rules.check_request_size(len(await request.read()))
        if too_large:
            return http.error(400, "validation_error", too_large)
        try:
            await _body(request)
        except ValueError:
            return http.error(400, "invalid_json", "Error parsing JSON body.")
        try:
            response = await handler(request)
        except NotionStoreError as exc:
            return http.error(exc.status, exc.code, exc.message)
        return (
            http.injected(failure.status, failure.retry_after) if failure is not None else response
        )

    def _refusal(self, request: web.Request) -> web.Response | None:
        version = request.headers.get("Notion-Version")
        if not version:
            message = "Notion-Version header failed validation: Notion-Version header should be "
            return http.error(400, "missing_version", message + "defined, instead was `undefined`.")
        if version != VERSION:
            return http.error(
                400, "validation_error", f"this fake speaks Notion-Version {VERSION} only"
            )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return http.error(401, "unauthorized", "API token is invalid.")
        return self._rate_limit()

    def _rate_limit(self) -> web.Response | None:
        rate = self.knobs.rate
        if rate is None:
            return None
        now = time.monotonic()
        self._tokens = min(self.knobs.burst, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.rate_limited += 1
        wait = self.knobs.retry_after or max(1, math.ceil((1 - self._tokens) / rate))
        message = "You have been rate limited. Please try again in a few minutes."
        return http.error(429, "rate_limited", message, headers={"Retry-After": str(wait)})

    # --- routes -------------------------------------------------------------------------------

    async def _get_database(self, request: web.Request) -> web.Response:
        return web.json_response(self.database(http.object_id(request)))

    async def _get_data_source(self, request: web.Request) -> web.Response:
        return web.json_response(self.data_source(http.object_id(request)))

    async def _patch_data_source(self, request: web.Request) -> web.Response:
        body = await _body(request)
        source = self.add_columns(http.object_id(request), body)
        return web.json_response(source)

    async def _query(self, request: web.Request) -> web.Response:
        body = await _body(request)
        size = http.page_size(body.get("page_size", 100), "body.page_size")
        wanted = request.query.getall("filter_properties", [])
        found = self.query(http.object_id(request), body, wanted)
        return web.json_response(
            http.paginate(found, size, body.get("start_cursor"), "page_or_data_source")
        )

    async def _create_page(self, request: web.Request) -> web.Response:
        body = await _body(request)
        check_knobs(self.knobs, body.get("children", []))
        return web.json_response(self.create_page(body))

    async def _get_page(self, request: web.Request) -> web.Response:
        return web.json_response(self.page(http.object_id(request)))

    async def _patch_page(self, request: web.Request) -> web.Response:
        body = await _body(request)
        return web.json_response(self.update_page(http.object_id(request), body))

    async def _get_block(self, request: web.Request) -> web.Response:
        return web.json_response(self.block(http.object_id(request)))

    async def _list_children(self, request: web.Request) -> web.Response:
        size = http.page_size(request.query.get("page_size", "100"), "query.page_size")
        found = self.live_children(http.object_id(request))
        cursor = request.query.get("start_cursor")
        return web.json_response(http.paginate(found, size, cursor, "block"))

    async def _append_children(self, request: web.Request) -> web.Response:
        body = await _body(request)
        problem = rules.check_keys("blocks.children.append", body)
        if problem:
            raise NotionStoreError(400, "validation_error", problem)
        children = body.get("children")
        check_knobs(self.knobs, children if isinstance(children, list) else [])
        parent = http.object_id(request)
        added = self.append(parent, children, body.get("after"), body.get("position"))
        return web.json_response(http.paginate(added, len(added) or 1, None, "block"))

    async def _delete_block(self, request: web.Request) -> web.Response:
        return web.json_response(self.archive(http.object_id(request)))

    async def _list_users(self, request: web.Request) -> web.Response:
        size = http.page_size(request.query.get("page_size", "100"), "query.page_size")
        cursor = request.query.get("start_cursor")
        return web.json_response(http.paginate(self.users, size, cursor, "user"))

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response(self.bot)

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = http.object_id(request)
        found = next((user for user in self.users if user["id"] == user_id), None)
        if found is None:
            raise NotionStoreError(
                404, "object_not_found", f"Could not find user with ID: {user_id}."
            )
        return web.json_response(found)

    async def _unknown(self, request: web.Request) -> web.Response:
        return http.unknown_route(request.method, request.path)


async def _body(request: web.Request) -> Json:
    """The JSON body ({} when empty); aiohttp keeps the bytes, so a second read is free."""
    parsed = json.loads(await request.text() or "{}")
    return parsed if isinstance(parsed, dict) else {"_": parsed}
