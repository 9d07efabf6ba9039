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

import httpx
import pyarrow as pa

from marketloop.errors import IngestError
from marketloop.ingest.config import HubspotObject, HubspotSettings
from marketloop.ingest.http import ApiClient, Pacer
from marketloop.ingest.hubspot_rows import (
    ASSOCIATIONS,
    MODIFIED,
    batch_links,
    inline_links,
    newest_modified,
    records_table,
    requested,
)

SEARCH_CAP = 10_000


class RateLimitObserver:
    """Reads HubSpot's rate-limit headers: when the window is nearly spent, requests are spaced
    at the refill rate (interval / max) until it recovers."""

    def __init__(self) -> None:
        self.pacer = Pacer()
        self.daily_remaining: int | None = None

    def __call__(self, headers: httpx.Headers) -> None:
        try:
            most = int(headers["X-HubSpot-RateLimit-Max"])
            remaining = int(headers["X-HubSpot-RateLimit-Remaining"])
            interval = int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
        except (KeyError, ValueError):
            return
        if "X-HubSpot-RateLimit-Daily-Remaining" in headers:
            self.daily_remaining = int(headers["X-HubSpot-RateLimit-Daily-Remaining"])
        self.pacer.interval = 1.02 * interval / most if remaining <= 2 else 0.0


def list_pages(
    client: ApiClient,
    settings: HubspotSettings,
    obj: HubspotObject,
    *,
    archived: bool,
    pacer: Pacer,
) -> Iterator[list[dict[str, Any]]]:
    params: dict[str, Any] = {
        "limit": settings.page_size,
        "properties": ",".join(requested(obj, settings.properties.get(obj, []))),
        "archived": "true" if archived else "false",
    }
    if obj in ASSOCIATIONS and not archived:
        params["associations"] = ASSOCIATIONS[obj].to
    while True:
        body = client.call("GET", f"/crm/v3/objects/{obj}", params=params, pacer=pacer)
        records = body.get("results") or []
        client.stats.page(obj, len(records))
        if records:
            yield records
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return
        params["after"] = after


def search_pages(
    client: ApiClient, settings: HubspotSettings, obj: HubspotObject, since_ms: int, pacer: Pacer
) -> Iterator[list[dict[str, Any]]]:
    """Records modified at or after `since_ms`, oldest first, past the 10,000 cap: a capped
    search restarts from the last modified time it saw, skipping the records it already
    returned with exactly that time."""
    start, seen_at_start = since_ms, set[str]()
    while True:
        boundary = Boundary(start, seen_at_start)
        after = 0
        while True:
            body = client.call(
                "POST",
                f"/crm/v3/objects/{obj}/search",
                body=_search_body(settings, obj, start, after),
                pacer=pacer,
            )
            records = boundary.new(body.get("results") or [], obj)
            client.stats.page(obj, len(records), body.get("total"))
            if records:
                yield records
            following = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not following:
                return
            if int(following) >= SEARCH_CAP:
                break
            after = int(following)
        if boundary.last <= start:
            moment = datetime.fromtimestamp(start / 1000, UTC).isoformat()
            raise IngestError(
                f"more than {SEARCH_CAP:,} HubSpot {obj} were modified at {moment}; the search "
                "API cannot page past them",
                hint="run a full load instead: `marketloop ingest hubspot --full`",
            )
        start, seen_at_start = boundary.last, boundary.at_last


class Boundary:
    """The newest modified time a search returned and the records returned with it."""

    def __init__(self, start: int, seen_at_start: set[str]) -> None:
        self.start = start
        self.skip = seen_at_start
        self.last = start
        self.at_last = set(seen_at_start)

    def new(self, records: list[dict[str, Any]], obj: HubspotObject) -> list[dict[str, Any]]:
        fresh = []
        for record in records:
            moment, ident = _modified_ms(record, obj), str(record["id"])
            if moment == self.start and ident in self.skip:
                continue  # returned before the restart
            if moment != self.last:
                self.last, self.at_last = moment, set()
            self.at_last.add(ident)
            fresh.append(record)
        return fresh


def _search_body(
    settings: HubspotSettings, obj: HubspotObject, since: int, after: int
) -> dict[str, Any]:
    prop = MODIFIED[obj]
    return {
        "filterGroups": [
            {"filters": [{"propertyName": prop, "operator": "GTE", "value": str(since)}]}
        ],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "properties": requested(obj, settings.properties.get(obj, [])),
        "limit": settings.search_page_size,
        "after": str(after),
    }


def _modified_ms(record: dict[str, Any], obj: HubspotObject) -> int:
    text = (record.get("properties") or {}).get(MODIFIED[obj]) or record["updatedAt"]
    if str(text).isdigit():
        return int(text)
    return int(datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp() * 1000)


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
    for records in list_pages(client, settings, obj, archived=True, pacer=list_pacer):
        yield from records_out.add(records_table(obj, records, extra))
    yield from records_out.flush()
    yield from (_as_links(obj, t) for t in links_out.flush())
    if newest is not None:
        state["cursor"] = int(min(newest, started).timestamp() * 1000)


class Batcher:
    """Joins small pages into tables of at least `rows` rows: dlt's cost is per item, and
    HubSpot pages hold only 100 records. Memory stays bounded by one batch."""

    def __init__(self, rows: int = 10_000) -> None:
        self.rows = rows
        self._tables: list[pa.Table] = []
        self._count = 0

    def add(self, table: pa.Table) -> list[pa.Table]:
        if table.num_rows:
            self._tables.append(table)
            self._count += table.num_rows
        return self.flush() if self._count >= self.rows else []

    def flush(self) -> list[pa.Table]:
        if not self._tables:
            return []
        joined = pa.concat_tables(self._tables)
        self._tables, self._count = [], 0
        return [joined]


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


def hubspot_source(
    client: ApiClient,
    settings: HubspotSettings,
    objects: Sequence[HubspotObject],
    limits: RateLimitObserver,
    *,
    full: bool = False,
) -> Any:
    """A dlt source with one merge resource per object; cursors live in dlt's state."""
    import dlt

    pacers = (limits.pacer, Pacer(1.0 / settings.search_rps))

    def items(obj: HubspotObject) -> Iterator[Any]:
        state = dlt.current.resource_state(obj)
        yield from object_items(client, settings, obj, state=state, pacers=pacers, full=full)
        if limits.daily_remaining is not None:
            client.stats.quota["daily"] = float(limits.daily_remaining)

    @dlt.source(name="hubspot", max_table_nesting=0)
    def source() -> Iterator[Any]:
        for obj in objects:
            yield dlt.resource(
                items(obj),
                name=obj,
                write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                primary_key="id",
            )

    return source()
