"""Sessions in a signed cookie (itsdangerous, keyed from the API pepper), and CSRF tokens.

The cookie is HttpOnly, SameSite=Lax, and Secure when the request came over https. It holds a
random session id, the CSRF token, and (once logged in) the user's id and session epoch; the
user row is read on every request, so a disabled user or a bumped epoch ends the session at
once. Logging in always issues a new cookie with a new id and CSRF token (no fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "marketloop_session"
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass
class Session:
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user_id: int | None = None
    epoch: int = 0
    fresh: bool = True  # not yet sent to the browser

    def payload(self) -> dict[str, object]:
        return {"s": self.sid, "c": self.csrf, "u": self.user_id, "e": self.epoch}


class Sessions:
    def __init__(self, pepper: bytes) -> None:
        key = hmac.new(pepper, b"marketloop web session", hashlib.sha256).hexdigest()
        self.serializer = URLSafeTimedSerializer(key, salt="marketloop-web")

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=MAX_AGE)
                return Session(str(data["s"]), str(data["c"]), data["u"], int(data["e"]), False)
            except (BadSignature, KeyError, TypeError, ValueError):
                pass
        return Session()

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE, self.serializer.dumps(session.payload()), max_age=MAX_AGE, path="/",
            httponly=True, samesite="lax", secure=is_https(request),
        )  # fmt: skip

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=is_https(request))  # fmt: skip


def is_https(request: Request) -> bool:
    """Behind a trusted proxy uvicorn already rewrote the scheme (--proxy-headers)."""
    return request.url.scheme == "https"


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
