"""One error shape at the edge: RFC 9457 problem details (`application/problem+json`).

Every failure the API answers, validation (422) included, is a `Problem`: `type`, `title`,
`status`, `detail`, `instance`, and where useful `hint`, `errors` (what failed validation) or
`retry_after`. Domain errors (errors.py) carry their HTTP status, so the stages decide what a
failure means and this module only renders it; an unexpected exception is a 500 whose detail
says nothing about the inside.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from marketloop.errors import MarketloopError, TransientError
from marketloop.observe.logging import get_logger, mask_secrets

MEDIA_TYPE = "application/problem+json"
DEFAULT_RETRY_AFTER = 5.0  # seconds, for a transient error that does not say
log = get_logger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field("about:blank", description="URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str = Field("", description="what went wrong this time")
    instance: str = Field("", description="the request path")
    hint: str | None = Field(None, description="what to do next")
    errors: list[dict[str, Any]] | None = Field(None, description="fields that failed validation")
    retry_after: float | None = Field(None, description="seconds to wait before trying again")


#: documented on every route (the authorisation and limit ones apply everywhere)
COMMON: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "content": {MEDIA_TYPE: {}},
        "description": HTTPStatus(status).phrase,
    }
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503)
}


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem(
    status: int,
    detail: str = "",
    *,
    request: Request | None = None,
    kind: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = Problem(
        type=kind,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=mask_secrets(detail),
        instance=request.url.path if request is not None else "",
        **extra,
    )
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def error_type(exc: MarketloopError) -> str:
    """`urn:marketloop:error:plan-error` for PlanError: stable, and names no module."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__).lower()
    return f"urn:marketloop:error:{name}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem document."""

    async def domain(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, MarketloopError)
        headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
        extra: dict[str, Any] = {"hint": mask_secrets(exc.hint) if exc.hint else None}
        if isinstance(exc, TransientError):  # tell the client when to come back
            wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
            headers["Retry-After"] = str(max(1, round(wait)))
            extra["retry_after"] = wait
        message = exc.message
        if exc.http_status >= 500 and not isinstance(exc, TransientError):
            log.error("request failed", path=request.url.path, error=mask_secrets(message))
            message, extra["hint"] = "the server could not answer this request", None
        return problem(
            exc.http_status, message, request=request, kind=error_type(exc),
            headers=headers, **extra,
        )  # fmt: skip

    async def http(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, detail, request=request, headers=dict(exc.headers or {}))

    async def invalid(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]  # fmt: skip
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"])
        return problem(422, f"{where}: {first['msg']}", request=request, errors=errors)

    async def unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.error("unhandled error", path=request.url.path, error=type(exc).__name__)
        return problem(500, "the server could not answer this request", request=request)

    app.add_exception_handler(MarketloopError, domain)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
