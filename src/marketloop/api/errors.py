"""Errors of the HTTP API, under `ApiError` (errors.py); each carries its HTTP status:

ApiError                   400 a request the API cannot take
├── Unauthenticated        401 no key, or an unknown, revoked or expired one (WWW-Authenticate)
├── Forbidden              403 the key lacks the route's scope
├── NotFound               404 no such resource
├── Conflict               409 a request with this Idempotency-Key is still running
├── KeyReused              422 an Idempotency-Key sent again with a different request
├── BodyTooLarge           413 the body is over [api] max_body_bytes
├── UnsupportedMediaType   415 a body that is not JSON where JSON is expected
└── RateLimited            429 over the key's (or address's) limit  (+ TransientError)
"""

from __future__ import annotations

from marketloop.errors import ApiError, TransientError

REALM = 'Bearer realm="marketloop"'
HINT = "put an API key in the Authorization header, scheme Bearer (marketloop keys create)"


class Unauthenticated(ApiError):
    http_status = 401

    def __init__(self, message: str, *, error: str = "invalid_token") -> None:
        super().__init__(message, hint=HINT)
        # RFC 6750: no error code when the request carried no credentials at all
        challenge = REALM if error == "" else f'{REALM}, error="{error}"'
        self.headers = {"WWW-Authenticate": challenge}


class Forbidden(ApiError):
    http_status = 403


class NotFound(ApiError):
    http_status = 404


class Conflict(ApiError):
    http_status = 409


class BodyTooLarge(ApiError):
    http_status = 413


class UnsupportedMediaType(ApiError):
    http_status = 415


class RateLimited(ApiError, TransientError):
    http_status = 429

    def __init__(self, message: str, *, retry_after: float, headers: dict[str, str]) -> None:
        TransientError.__init__(self, message, retry_after=retry_after)
        self.headers = headers


class KeyReused(ApiError):
    """An Idempotency-Key sent again with a different request (IETF idempotency-key draft)."""

    http_status = 422
