"""Log in (CSRF-checked, rate-limited per address, locked per user), log out, log out
everywhere."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from marketloop.api.deps import client
from marketloop.web.deps import VisitorDep, check_csrf
from marketloop.web.render import render
from marketloop.web.session import Session
from marketloop.web.users import LoginRefused, authenticate, end_sessions

router = APIRouter()
REFUSED = "wrong user name or password, or the account is locked or disabled"


def _next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def _login_page(request: Request, who: VisitorDep, next_: str, error: str | None = None,
                name: str = "", status: int = 200) -> Response:  # fmt: skip
    response = render(request, "login.html", {"who": who, "next": _next(next_), "error": error,
                      "name": name}, status=status)  # fmt: skip
    if who.session.fresh:
        who.web.sessions.write(request, response, who.session)
    return response


@router.get("/login")
def login_form(request: Request, who: VisitorDep, next: str = "/") -> Response:
    if who.user is not None:
        return RedirectResponse(_next(next), status_code=303)
    return _login_page(request, who, next)


@router.post("/login")
async def login(
    request: Request, who: VisitorDep, name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form()] = "/",
) -> Response:  # fmt: skip
    await check_csrf(request, who.session)
    if not who.web.login_allowed(client(request, who.api)):
        return _login_page(request, who, next, "too many login attempts; wait a few minutes",
                           name, 429)  # fmt: skip
    try:
        user = await anyio.to_thread.run_sync(authenticate, who.api.engine, name, password)
    except LoginRefused:
        return _login_page(request, who, next, REFUSED, name, 401)
    fresh = Session(user_id=user.id, epoch=user.session_epoch)  # new id and token: no fixation
    response = RedirectResponse(_next(next), status_code=303)
    who.web.sessions.write(request, response, fresh)
    return response


@router.post("/logout")
async def logout(request: Request, who: VisitorDep) -> Response:
    await check_csrf(request, who.session)
    response = RedirectResponse("/login", status_code=303)
    who.web.sessions.clear(request, response)
    return response


@router.post("/logout-everywhere")
async def logout_everywhere(request: Request, who: VisitorDep) -> Response:
    await check_csrf(request, who.session)
    if who.user is not None:
        await anyio.to_thread.run_sync(end_sessions, who.api.engine, who.user.id)
    response = RedirectResponse("/login", status_code=303)
    who.web.sessions.clear(request, response)
    return response
