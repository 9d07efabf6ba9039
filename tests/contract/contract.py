"""What every SaaS fake must show to its service's official SDK: the shared contract.

A `Service` says how to serve one fake on 127.0.0.1 and how its official SDK talks to it. The
suite in `test_every_fake.py` runs the same checks against each entry of `SERVICES`
(`services.py`):

- an unknown route is answered with the service's own JSON error, which the SDK parses into its
  API error class with the documented status and code (never plain text, never a success);
- a 429 carrying `Retry-After` is retried by the SDK's own retry logic, and the retry succeeds;
- a wrong token is the SDK's authentication error;
- no request, whatever its path or method, is answered with plain text (raw HTTP, no SDK).

To plug a new fake in (Slack, Jira, PagerDuty): write a `Service` for it in `services.py` —
`start` serves the fake, `client` builds the SDK client pointed at it, `read` is one cheap call
the fake serves, `unknown` a call it does not serve, `throttle` makes the next request a 429,
`error_of` reads (status, code) from the SDK's exception, `close` frees the client — and add it
to `SERVICES`. Service-specific checks go in `test_<service>_sdk.py` beside the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any


@dataclass
class Served:
    """A fake being served: where, with which token, and how many requests it has seen."""

    fake: Any
    url: str
    token: str
    hits: Callable[[], int]


@dataclass(frozen=True)
class Service:
    name: str
    start: Callable[[], AbstractContextManager[Served]]
    client: Callable[[Served, str], Any]  # (served, token) -> SDK client, retries on
    read: Callable[[Any], Any]  # one cheap call every run of the fake serves
    unknown: Callable[[Any], Any]  # one call to a route the fake does not serve
    throttle: Callable[[Served], None]  # the next request is answered 429 with Retry-After
    error_of: Callable[[BaseException], tuple[int, str]]  # (status, code) from the SDK error
    api_error: tuple[type[BaseException], ...]  # the SDK's API error classes
    unknown_error: tuple[int, str]  # the (status, code) the service answers an unknown route
    auth_error: tuple[int, str]  # ... and a wrong token
    close: Callable[[Any], None] = lambda sdk: sdk.close()  # frees the SDK client's sockets
    headers: Callable[[str], dict[str, str]] = lambda token: {"Authorization": f"Bearer {token}"}
    known_path: str = "/"  # a path the fake serves (for a method it does not)


def serving(
    make: Callable[[], tuple[Any, Any, str, Callable[[], int]]],
) -> Callable[[], AbstractContextManager[Served]]:
    """`start` for a fake built by `make()` -> (fake, aiohttp app, token, hits)."""
    from contextlib import contextmanager

    from marketloop.fakes.server import LocalServer

    @contextmanager
    def start() -> Iterator[Served]:
        fake, app, token, hits = make()
        with LocalServer(app) as server:
            yield Served(fake, server.url, token, hits)

    return start
