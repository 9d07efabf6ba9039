"""The HTTP edge of the HubSpot fake: HubSpot's error body, request parsing that answers a
malformed request with HubSpot's 400 VALIDATION_ERROR, and paging cursors.

    {"status": "error", "message": ..., "correlationId": ..., "category": "VALIDATION_ERROR"}
    429: {"status": "error", "message": ..., "errorType": "RATE_LIMIT", "correlationId": ...,
          "policyName": "TEN_SECONDLY_ROLLING", "requestId": ...}
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from aiohttp import web

from marketloop.fakes.common import json_response


class HubspotError(ValueError):
    """A request HubSpot answers with its error body: `status`, `category`, optional `context`."""

    status = 400
    category = "VALIDATION_ERROR"

    def __init__(self, message: str, context: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.context = context


class BadRequest(HubspotError):
    """A malformed request (or one the fake does not implement): 400 VALIDATION_ERROR."""


class NotFound(HubspotError):
    status = 404
    category = "OBJECT_NOT_FOUND"


def hubspot_error(
    status: int,
    message: str,
    category: str,
    headers: dict[str, str] | None = None,
    context: dict[str, list[str]] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    if context:
        body["context"] = context
    return json_response(body, status, headers)


def rate_limited(policy: str, headers: dict[str, str]) -> web.Response:
    """HubSpot's 429 body: `errorType` RATE_LIMIT and the `policyName` of the limit hit."""
    words = {"TEN_SECONDLY_ROLLING": "ten_secondly_rolling", "SECONDLY": "secondly"}
    body = {
        "status": "error",
        "message": f"You have reached your {words.get(policy, policy.lower())} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }
    return json_response(body, 429, headers)


def answer(exc: HubspotError) -> web.Response:
    return hubspot_error(exc.status, str(exc), exc.category, context=exc.context)


def int_query(query: Any, name: str, default: int) -> int:
    text = query.get(name, str(default))
    try:
        return int(text)
    except ValueError:
        message = f"Invalid value for query parameter {name}: {text!r} is not an integer"
        raise BadRequest(message) from None


def flag_query(query: Any, name: str) -> bool:
    """A boolean query parameter: `true`/`false` in any case (the Python SDK sends `True`)."""
    text = query.get(name, "false")
    if text.lower() not in ("true", "false"):
        raise BadRequest(f"Invalid value for query parameter {name}: {text!r} is not a boolean")
    return bool(text.lower() == "true")


def list_query(query: Any, name: str) -> list[str]:
    """A repeated or comma-separated query parameter."""
    return [item for value in query.getall(name, []) for item in value.split(",") if item]


def refuse_query(query: Any, *names: str) -> None:
    """Documented parameters the fake does not implement: a 400 naming them."""
    for name in names:
        if name in query:
            raise BadRequest(f"The query parameter {name} is not implemented by this fake")


async def json_object(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("Invalid input JSON on line 1: the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Invalid input JSON: expected an object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f'Invalid input JSON on line 1: Unrecognized field "{unknown[0]}"')
    return body


def cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode().rstrip("=")


def uncursor(text: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise BadRequest(f"Invalid paging cursor after={text!r}") from None
