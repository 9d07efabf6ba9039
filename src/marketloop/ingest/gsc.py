"""Search Console `searchAnalytics/query` → gsc.search_analytics.

One query per run over the date window, grouped by date, query, page, country and device,
paged with `startRow` in steps of `rowLimit` (25,000) until a page comes back empty (dlt's
OffsetPaginator); the next page downloads while the current one is typed. The public source is
`marketloop.ingest.sources.gsc`. Rows carry
their dimension values positionally in `keys`, one row per combination. Each run replaces the
whole days it read (merge key site, search type, date), so the lookback window lands Google's
late corrections without duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

import dlt
import pyarrow as pa

from marketloop.errors import IngestError
from marketloop.ingest.config import GscSettings
from marketloop.ingest.cursors import ANY_DATE, date_window
from marketloop.ingest.http import ApiClient, ApiRejected
from marketloop.ingest.paging import paginate
from marketloop.ingest.windows import DateWindow
from marketloop.observe.logging import get_logger

log = get_logger("marketloop.ingest.gsc")
DIMENSIONS = ("date", "query", "page", "country", "device")
TABLE = "search_analytics"
KEYS = ("site_url", "search_type", *DIMENSIONS)
SCHEMA = pa.schema(
    [
        *(pa.field(name, pa.string(), nullable=False) for name in KEYS),
        pa.field("clicks", pa.int64()),
        pa.field("impressions", pa.int64()),
        pa.field("ctr", pa.float64()),
        pa.field("position", pa.float64()),
        pa.field("data_state", pa.string()),
    ]
).set(2, pa.field("date", pa.date32(), nullable=False))


def query_request(window: DateWindow, search_type: str, data_state: str) -> dict[str, Any]:
    """The query body; the paginator adds `startRow` and `rowLimit`."""
    return {
        "startDate": window.start.isoformat(),
        "endDate": window.end.isoformat(),
        "dimensions": list(DIMENSIONS),
        "type": search_type,
        "aggregationType": "auto",
        "dataState": data_state,
    }


def rows_table(
    rows: Sequence[Mapping[str, Any]], site_url: str, search_type: str, data_state: str
) -> pa.Table:
    """One response page as a typed table (keys are positional, in DIMENSIONS order)."""
    n = len(rows)
    keys = [row["keys"] for row in rows]
    columns: dict[str, Any] = {"site_url": [site_url] * n, "search_type": [search_type] * n}
    for i, name in enumerate(DIMENSIONS):
        columns[name] = [k[i] for k in keys]
    columns["date"] = pa.array(columns["date"], pa.string()).cast(pa.date32())
    columns["clicks"] = [round(row.get("clicks", 0)) for row in rows]
    columns["impressions"] = [round(row.get("impressions", 0)) for row in rows]
    columns["ctr"] = [float(row.get("ctr", 0.0)) for row in rows]
    columns["position"] = [float(row.get("position", 0.0)) for row in rows]
    columns["data_state"] = [data_state] * n
    return pa.table(columns, schema=SCHEMA)


def query_pages(
    client: ApiClient, site_url: str, settings: GscSettings, window: DateWindow
) -> Iterator[pa.Table]:
    """Every page of the query, the next one downloading while this one is typed."""
    from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

    path = f"/webmasters/v3/sites/{quote(site_url, safe='')}/searchAnalytics/query"
    paginator = OffsetPaginator(
        limit=settings.row_limit,
        offset_body_path="startRow",
        limit_body_path="rowLimit",
        total_path=None,
        stop_after_empty_page=True,
    )
    responses = paginate(
        client,
        "POST",
        path,
        paginator,
        select=lambda response: list(response.get("rows") or []),
        body=query_request(window, settings.search_type, settings.data_state),
        prefetch=True,
    )
    try:
        for response in responses:
            rows = list(response.get("rows") or [])
            client.stats.page(TABLE, len(rows))
            if rows:
                yield rows_table(rows, site_url, settings.search_type, settings.data_state)
    except ApiRejected as exc:
        raise IngestError(
            f"Search Console rejected the query for {site_url} ({window}): {exc.detail}",
            hint="check --site (a URL-prefix property ends with /; a domain property is "
            "sc-domain:example.com) and [gsc] settings; nothing was loaded",
        ) from None


def search_rows(
    client: ApiClient,
    site_url: str,
    settings: GscSettings,
    *,
    first: date | None,
    last: date,
    cursor: dlt.sources.incremental[date] = ANY_DATE,
) -> Iterator[pa.Table]:
    """The resource: the days from the cursor (less the lookback) or `first`, to `last`."""
    with client:
        window = date_window(cursor, first, last, settings.initial_days)
        log.info("gsc query", site=site_url, window=str(window))
        yield from query_pages(client, site_url, settings, window)
