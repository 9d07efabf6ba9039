"""Who may scrape a worker's /metrics: the API's rule for its own /metrics (deps.authorise),
in a process without the API. A key with the `metrics` scope (401 without a valid key, 403
without the scope), checked by the API's Authenticator against the app database (cached for
`[api] key_cache_seconds`); nothing when `[observe] metrics_public` says the network is
private."""

from __future__ import annotations

from http import HTTPStatus

import anyio

from marketloop.config import Settings
from marketloop.observe.metrics import Check


def metrics_check(settings: Settings) -> Check | None:
    if settings.observe.metrics_public:
        return None
    from marketloop.api.auth import Authenticator
    from marketloop.api.errors import Unauthenticated
    from marketloop.api.keys import pepper
    from marketloop.api.scopes import Scope
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url

    auth = Authenticator(
        open_app_db(app_db_url(settings)), pepper(settings), settings.api.key_cache_seconds
    )

    def check(authorization: str | None) -> int:
        try:
            principal = anyio.run(auth.principal, authorization)
        except Unauthenticated:
            return HTTPStatus.UNAUTHORIZED
        return HTTPStatus.OK if Scope.metrics in principal.scopes else HTTPStatus.FORBIDDEN

    return check
