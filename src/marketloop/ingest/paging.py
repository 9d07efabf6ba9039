"""dlt's REST paginators, driven through our HTTP edge.

The sources describe their paging with dlt's own paginators
(`dlt.sources.helpers.rest_client.paginators`): GA4 `OffsetPaginator` on `offset`/`limit` in
the body up to `rowCount`, Search Console `OffsetPaginator` on `startRow`/`rowLimit` until an
empty page, HubSpot `JSONResponseCursorPaginator` on `paging.next.after` (query or body). The
requests themselves go through `ApiClient` (http.py), which keeps the retry, quota, pacing and
credential rules dlt's client does not have.

`prefetch=True` asks for the next page while the caller handles this one (one request in
flight at a time, in order).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

from marketloop.ingest.http import ApiClient
from marketloop.ingest.pacing import Pacer


class _Reply:
    """What a dlt paginator reads from a response: its JSON body."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def json(self) -> Any:
        return self._body


def paginate(
    client: ApiClient,
    method: str,
    path: str,
    paginator: Any,
    *,
    select: Callable[[Any], list[Any]],
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    pacer: Pacer | None = None,
    prefetch: bool = False,
) -> Iterator[Any]:
    """Yield the decoded body of every page `paginator` (a dlt BasePaginator) asks for;
    `select` picks a page's records (empty-page rules look at them)."""
    from dlt.sources.helpers.requests import Request

    request: Any = Request(
        method=method,
        url=path,
        params=dict(params or {}),
        json=copy.deepcopy(dict(body)) if body is not None else None,
    )
    paginator.init_request(request)

    def fetch(query: dict[str, Any], payload: Any) -> Any:
        return client.call(method, path, params=query or None, body=payload, pacer=pacer)

    def submit(pool: ThreadPoolExecutor | None) -> Future[Any]:
        query, payload = dict(request.params or {}), copy.deepcopy(request.json)
        if pool is not None:
            return pool.submit(fetch, query, payload)
        done: Future[Any] = Future()
        done.set_result(fetch(query, payload))
        return done

    threads = ThreadPoolExecutor(1, "ingest-page") if prefetch else nullcontext()
    with threads as pool:
        pending = submit(pool)
        while True:
            page = pending.result()
            paginator.update_state(_Reply(page), select(page))
            more = bool(paginator.has_next_page)
            if more:
                paginator.update_request(request)
                if pool is not None:
                    pending = submit(pool)
            yield page
            if not more:
                return
            if pool is None:
                pending = submit(None)
