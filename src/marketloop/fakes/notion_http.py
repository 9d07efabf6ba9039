"""The HTTP edge of the fake Notion server: error bodies, pagination, ids in paths, and the
answer to every route the fake does not serve.

Notion's error body is `{"object": "error", "status", "code", "message", "request_id"}`.
Routes the real API has but the fake does not implement answer 400 `invalid_request`
("Unsupported request: <name>.", Notion's documented wording); any other URL answers 400
`invalid_request_url` ("Invalid request URL."), as Notion does for a path it does not know.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from marketloop.fakes import notion_rules as rules
from marketloop.fakes.notion_rules import NotionStoreError

Json = dict[str, Any]
_ID = "[^/]+"
#: Notion endpoints the fake does not implement: (method, path pattern, the SDK's name for it)
UNSUPPORTED = tuple(
    (method, re.compile(f"^/v1/{pattern}$"), name)
    for method, pattern, name in (
        ("POST", "search", "search"),
        ("PATCH", f"blocks/{_ID}", "blocks.update"),
        ("GET", f"pages/{_ID}/properties/{_ID}", "pages.properties.retrieve"),
        ("POST", f"pages/{_ID}/move", "pages.move"),
        ("GET", f"pages/{_ID}/markdown", "pages.retrieve_markdown"),
        ("POST", "databases", "databases.create"),
        ("PATCH", f"databases/{_ID}", "databases.update"),
        ("POST", "data_sources", "data_sources.create"),
        ("GET", f"data_sources/{_ID}/templates", "data_sources.list_templates"),
        ("GET", "comments", "comments.list"),
        ("POST", "comments", "comments.create"),
        ("GET", f"comments/{_ID}", "comments.retrieve"),
        ("POST", "file_uploads", "file_uploads.create"),
        ("GET", "file_uploads", "file_uploads.list"),
        ("GET", f"file_uploads/{_ID}", "file_uploads.retrieve"),
        ("POST", f"file_uploads/{_ID}/send", "file_uploads.send"),
        ("POST", f"file_uploads/{_ID}/complete", "file_uploads.complete"),
        ("POST", "oauth/token", "oauth.token"),
        ("POST", "oauth/introspect", "oauth.introspect"),
        ("POST", "oauth/revoke", "oauth.revoke"),
    )
)


def unknown_route(method: str, path: str) -> web.Response:
    """The answer to a request no route of the fake serves."""
    for verb, pattern, name in UNSUPPORTED:
        if verb == method and pattern.match(path):
            return error(400, "invalid_request", f"Unsupported request: {name}.")
    return error(400, "invalid_request_url", "Invalid request URL.")


def object_id(request: web.Request, where: str = "id") -> str:
    """The id in the path, dashed (Notion takes ids with or without dashes), or Notion's 400."""
    text = request.match_info[where]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        message = (
            f'path failed validation: path.{where} should be a valid uuid, instead was `"{text}"`.'
        )
        raise NotionStoreError(400, "validation_error", message) from None


def paginate(items: list[Json], size: int, cursor: str | None, kind: str) -> Json:
    start = 0
    if cursor:
        ids = [item["id"] for item in items]
        if cursor not in ids:
            raise NotionStoreError(
                400, "validation_error", f"start_cursor provided is invalid: {cursor}"
            )
        start = ids.index(cursor)
    window = items[start : start + size]
    more = start + size < len(items)
    return {
        "object": "list",
        "results": window,
        "next_cursor": items[start + size]["id"] if more else None,
        "has_more": more,
        "type": kind,
        kind: {},
        "request_id": str(uuid.uuid4()),
    }


def page_size(value: Any, where: str) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise NotionStoreError(
            400, "validation_error", rules.failed(where, "a number", value)
        ) from None
    if not 1 <= size <= 100:
        raise NotionStoreError(400, "validation_error", rules.failed(where, "≤ `100`", size))
    return size


def injected(status: int, retry_after: int) -> web.Response:
    """An injected failure with the code Notion uses for that status."""
    codes = {429: "rate_limited", 500: "internal_server_error", 502: "bad_gateway"}
    codes |= {503: "service_unavailable", 504: "gateway_timeout", 409: "conflict_error"}
    codes |= {529: "service_overload"}
    throttled = status in {429, 529}
    headers = {"Retry-After": str(retry_after)} if throttled else None
    return error(status, codes.get(status, "internal_server_error"), "Injected failure.", headers)


def aiohttp_error(status: int, text: str) -> web.Response:
    """aiohttp's own refusals as Notion words them: a body too large is a validation_error."""
    if status == 413:
        return error(
            400, "validation_error", rules.check_request_size(rules.REQUEST_BYTES + 1) or text
        )
    return error(status, "invalid_request", text)


def error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"object": "error", "status": status, "code": code, "message": message}
    body["request_id"] = str(uuid.uuid4())
    return web.json_response(body, status=status, headers=headers)
