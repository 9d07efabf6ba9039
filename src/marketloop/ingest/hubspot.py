"""HubSpot CRM v3 → hubspot.contacts, companies, deals, contact_companies, deal_contacts.

    first run    the list endpoint, `paging.next.after` to the end, associations inline
    later runs   the search endpoint: modified date GTE the saved cursor (minus an overlap),
                 sorted ascending; at the 10,000-results cap the search restarts from the last
                 modified date seen; associations of changed records via the v4 batch read
    every run    archived records (`archived=true`), so they are marked, never lost

The cursor (epoch ms, in dlt's state) only moves when the load succeeds. Requests are paced by
HubSpot's `X-HubSpot-RateLimit-*` headers, and searches to `search_rps`, so a big first load
runs at the rate limit instead of into it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from marketloop.ingest.config import HubspotObject, HubspotSettings
from marketloop.ingest.http import ApiClient, Auth
from marketloop.ingest.hubspot_rows import (
    ASSOCIATIONS,
    Batcher,
    batch_links,
    inline_links,
    newest_modified,
    records_table,
    requested,
)
from marketloop.ingest.hubspot_search import search_pages
from marketloop.ingest.pacing import Pacer, RateLimitObserver
from marketloop.ingest.paging import paginate
from marketloop.ingest.stats import RunStats


def list_pages(
    client: ApiClient,
    settings: HubspotSettings,
    obj: HubspotObject,
    *,
    archived: bool,
    pacer: Pacer,
) -> Iterator[list[dict[str, Any]]]:
    """Every page of the list endpoint (dlt's JSONResponseCursorPaginator on
    `paging.next.after`)."""
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    params: dict[str, Any] = {
        "limit": settings.page_size,
        "properties": ",".join(requested(obj, settings.properties.get(obj, []))),
        "archived": "true" if archived else "false",
    }
    if obj in ASSOCIATIONS and not archived:
        params["associations"] = ASSOCIATIONS[obj].to
    paginator = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")
    for body in paginate(
        client, "GET", f"/crm/v3/objects/{obj}", paginator,
        select=_results, params=params, pacer=pacer,
    ):  # fmt: skip
        records = _results(body)
        client.stats.page(obj, len(records))
        if records:
            yield records


def _results(body: Any) -> list[dict[str, Any]]:
    return list(body.get("results") or [])


def association_batch(
    client: ApiClient, obj: HubspotObject, ids: Sequence[str]
) -> list[dict[str, Any]]:
    link = ASSOCIATIONS[obj]
    body = client.call(
        "POST",
        f"/crm/v4/associations/{obj}/{link.to}/batch/read",
        body={"inputs": [{"id": i} for i in ids]},
    )
    client.stats.page(link.table, len(body.get("results") or []))
    return list(body.get("results") or [])


def object_items(
    client: ApiClient,
    settings: HubspotSettings,
    obj: HubspotObject,
    *,
    state: dict[str, Any],
    pacers: tuple[Pacer, Pacer],
    full: bool,
) -> Iterator[Any]:
    """Every table item one object yields (records, then links), advancing the cursor last."""
    list_pacer, search_pacer = pacers
    extra = settings.properties.get(obj, [])
    started = datetime.now(UTC)
    cursor = None if full else state.get("cursor")
    if cursor is None:
        pages = list_pages(client, settings, obj, archived=False, pacer=list_pacer)
    else:
        overlap = int(timedelta(minutes=settings.cursor_overlap_minutes).total_seconds() * 1000)
        pages = search_pages(client, settings, obj, int(cursor) - overlap, search_pacer)
    records_out, links_out = Batcher(), Batcher()
    newest: datetime | None = None
    for records in pages:
        table = records_table(obj, records, extra)
        newest = max(filter(None, (newest, newest_modified(table))), default=None)
        yield from records_out.add(table)
        if obj in ASSOCIATIONS:
            links = (
                inline_links(obj, records)
                if cursor is None
                else batch_links(
                    obj, association_batch(client, obj, [str(r["id"]) for r in records])
                )
            )
            yield from (_as_links(obj, t) for t in links_out.add(links))
    # the search endpoint never returns archived records: list them (all of them, since the
    # list endpoint has no "archived since" filter), unless the settings skip it
    if cursor is None or settings.archived_every_run:
        for records in list_pages(client, settings, obj, archived=True, pacer=list_pacer):
            yield from records_out.add(records_table(obj, records, extra))
    yield from records_out.flush()
    yield from (_as_links(obj, t) for t in links_out.flush())
    if newest is not None:
        state["cursor"] = int(min(newest, started).timestamp() * 1000)


def _as_links(obj: HubspotObject, table: pa.Table) -> Any:
    import dlt

    return dlt.mark.with_hints(table, _link_hints(obj), create_table_variant=True)


def _link_hints(obj: HubspotObject) -> Any:
    import dlt

    link = ASSOCIATIONS[obj]
    return dlt.mark.make_hints(
        table_name=link.table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=[],  # not the records' `id`
        merge_key=link.own_id,  # a re-read record's links replace all its old ones
    )


def object_rows(
    client: ApiClient,
    settings: HubspotSettings,
    obj: HubspotObject,
    limits: RateLimitObserver,
    pacers: tuple[Pacer, Pacer],
    *,
    full: bool,
) -> Iterator[Any]:
    """The resource of one object: its records, then its links; the cursor in dlt's state."""
    import dlt

    with client:
        state = dlt.current.resource_state(obj)
        yield from object_items(client, settings, obj, state=state, pacers=pacers, full=full)
        if limits.daily_remaining is not None:
            client.stats.quota["daily"] = float(limits.daily_remaining)


def object_resources(
    settings: HubspotSettings,
    objects: Sequence[HubspotObject],
    auth: Auth,
    stats: RunStats,
    *,
    full: bool = False,
) -> Iterator[Any]:
    """One merge resource per object, paced by HubSpot's rate-limit headers (shared)."""
    import dlt

    limits = RateLimitObserver()
    pacers = (limits.pacer, Pacer(1.0 / settings.search_rps))
    for obj in objects:
        client = ApiClient("HubSpot", settings, auth=auth, stats=stats, observe=limits)
        yield dlt.resource(
            object_rows(client, settings, obj, limits, pacers, full=full),
            name=obj,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key="id",
        )
