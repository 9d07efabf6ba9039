"""The one place every integration client reports a request's outcome.

    record_request("jira", 201)        # after each HTTP answer
    record_request("jira", "error")    # when no answer came (timeout, refused)

Metrics (`marketloop_integration_requests_total{service,status}`) subscribe with
`on_request(hook)`; nothing here imports Prometheus, so clients stay free of it.
"""

from __future__ import annotations

from collections.abc import Callable

Hook = Callable[[str, str], None]
_hooks: list[Hook] = []


def on_request(hook: Hook) -> Hook:
    """Call `hook(service, status)` for every request any integration client makes."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def record_request(service: str, status: int | str) -> None:
    for hook in _hooks:
        hook(service, str(status))
