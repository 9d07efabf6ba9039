"""Who is looking at the dashboard, and may they do this: the web face's named dependencies.

    ViewerDep   a logged-in user with the read scope (else: to /login)
    EditorDep   a POST by a user with `write`, with a valid CSRF token
    RunnerDep   a POST by a user with `run`, with a valid CSRF token
    AdminDep    a user with `admin` (a POST also needs the CSRF token)
    VisitorDep  anyone, logged in or not (the login page)

Scopes come from the user's role (users.ROLES) and are the API's scopes: both faces check the
same ones. A refusal is 403 from the server whatever the page showed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from marketloop.api.context import ApiContext
from marketloop.api.errors import Forbidden
from marketloop.api.scopes import Scope
from marketloop.errors import ApiError
from marketloop.web.context import WebContext
from marketloop.web.session import CSRF_FIELD, CSRF_HEADER, Session, same_token
from marketloop.web.users import UserInfo, get_user


class LoginRequired(ApiError):
    http_status = 401


@dataclass
class Visitor:
    session: Session
    user: UserInfo | None
    api: ApiContext
    web: WebContext

    def may(self, scope: Scope | str) -> bool:
        return self.user is not None and scope in self.user.scopes


def visitor(request: Request) -> Visitor:
    """Plain `def`: it reads the user row (on the thread pool), every request."""
    api: ApiContext = request.app.state.api
    web: WebContext = request.app.state.web
    session = web.sessions.read(request)
    user = None
    if session.user_id is not None:
        user = get_user(api.engine, session.user_id)
        if user is None or user.disabled_at is not None or user.session_epoch != session.epoch:
            user, session = None, Session()  # ended elsewhere: start anonymous again
    return Visitor(session, user, api, web)


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def check_csrf(request: Request, session: Session) -> None:
    """Unsafe methods need the session's token, in the form or the X-CSRF-Token header."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if session.fresh or not same_token(session.csrf, given):
        raise Forbidden("the form is out of date or did not come from this site",
                        hint="reload the page and try again")  # fmt: skip


def need(scope: Scope) -> Callable[[Request, Visitor], Awaitable[Visitor]]:
    async def gate(request: Request, who: VisitorDep) -> Visitor:
        if who.user is None:
            raise LoginRequired("log in to see this page")
        if request.method not in {"GET", "HEAD"}:
            await check_csrf(request, who.session)
        if scope not in who.user.scopes:
            raise Forbidden(f"your role ({who.user.role}) may not do this; it needs {scope}",
                            hint="ask an admin for the editor role")  # fmt: skip
        return who

    return gate


ViewerDep = Annotated[Visitor, Depends(need(Scope.read))]
EditorDep = Annotated[Visitor, Depends(need(Scope.write))]
RunnerDep = Annotated[Visitor, Depends(need(Scope.run))]
AdminDep = Annotated[Visitor, Depends(need(Scope.admin))]
