"""HubSpot's search endpoint for incremental loads: records modified at or after a cursor,
oldest first, past the cap of 10,000 results per query.

At the cap the search restarts from the last modified time it saw, skipping the records it
already returned with exactly that time; more than 10,000 records in one millisecond cannot be
paged and are an error asking for a full load. Pages follow `paging.next.after` into the
body's `after` (dlt's JSONResponseCursorPaginator).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from marketloop.errors import IngestError
from marketloop.ingest.config import HubspotObject, HubspotSettings
from marketloop.ingest.http import ApiClient
from marketloop.ingest.hubspot_rows import MODIFIED, requested
from marketloop.ingest.pacing import Pacer
from marketloop.ingest.paging import paginate

SEARCH_CAP = 10_000


def search_pages(
    client: ApiClient, settings: HubspotSettings, obj: HubspotObject, since_ms: int, pacer: Pacer
) -> Iterator[list[dict[str, Any]]]:
    """Records modified at or after `since_ms`, oldest first, past the 10,000 cap: a capped
    search restarts from the last modified time it saw, skipping the records it already
    returned with exactly that time."""
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    start, seen_at_start = since_ms, set[str]()
    while True:
        boundary = Boundary(start, seen_at_start)
        paginator = JSONResponseCursorPaginator(
            cursor_path="paging.next.after", cursor_body_path="after"
        )
        capped = False
        for body in paginate(
            client, "POST", f"/crm/v3/objects/{obj}/search", paginator,
            select=lambda body: list(body.get("results") or []),
            body=_search_body(settings, obj, start), pacer=pacer,
        ):  # fmt: skip
            records = boundary.new(body.get("results") or [], obj)
            client.stats.page(obj, len(records), body.get("total"))
            if records:
                yield records
            following = ((body.get("paging") or {}).get("next") or {}).get("after")
            if following and int(following) >= SEARCH_CAP:
                capped = True
                break
        if not capped:
            return
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


def _search_body(settings: HubspotSettings, obj: HubspotObject, since: int) -> dict[str, Any]:
    """The search body; the paginator adds `after`."""
    prop = MODIFIED[obj]
    return {
        "filterGroups": [
            {"filters": [{"propertyName": prop, "operator": "GTE", "value": str(since)}]}
        ],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "properties": requested(obj, settings.properties.get(obj, [])),
        "limit": settings.search_page_size,
    }


def _modified_ms(record: dict[str, Any], obj: HubspotObject) -> int:
    text = (record.get("properties") or {}).get(MODIFIED[obj]) or record["updatedAt"]
    if str(text).isdigit():
        return int(text)
    return int(datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp() * 1000)
