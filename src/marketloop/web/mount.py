"""Put the dashboard on the API's application: its routers, its static files, and an HTML
error page for failures on dashboard paths (API paths keep their problem documents)."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from marketloop.errors import MarketloopError
from marketloop.web.context import WebContext
from marketloop.web.deps import LoginRequired, visitor
from marketloop.web.render import render
from marketloop.web.routes import ROUTERS
from marketloop.web.session import Sessions

STATIC = Path(__file__).parent / "static"
API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")


def mount(app: FastAPI) -> None:
    app.state.web = WebContext(Sessions(app.state.api.auth.pepper))
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for kind, original in list(app.exception_handlers.items()):
        app.exception_handlers[kind] = _html_on_pages(original)


def _html_on_pages(original: Any) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PATHS):
            return await original(request, exc)  # type: ignore[no-any-return]
        if isinstance(exc, LoginRequired):
            target = "/login?next=" + request.url.path
            if request.headers.get("hx-request") == "true":
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        status, message, hint = _describe(exc)
        who = visitor(request)
        return render(request, "error.html", {"status": status, "message": message,
                      "hint": hint, "who": who}, block="", status=status)  # fmt: skip

    return handle


def _describe(exc: Exception) -> tuple[int, str, str | None]:
    if isinstance(exc, MarketloopError):
        status = getattr(exc, "http_status", 400)
        if status >= 500:
            return status, "the server could not answer this request", None
        return status, exc.message, exc.hint
    if isinstance(exc, HTTPException):
        return exc.status_code, HTTPStatus(exc.status_code).phrase, None
    if isinstance(exc, RequestValidationError):
        return 422, "some of what was sent is not valid", "check the form and try again"
    return 500, "the server could not answer this request", None
