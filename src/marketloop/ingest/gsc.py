"""Search Console `searchAnalytics/query` → gsc.search_analytics.

One query per run over the date window, grouped by date, query, page, country and device,
paged with `startRow` in steps of `rowLimit` (25,000) until a page comes back empty; the next
page downloads while the current one is typed. Rows carry
their dimension values positionally in `keys`, one row per combination. Each run replaces the
whole days it read (merge key site, search type, date), so the lookback window lands Google's
late corrections without duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from marketloop.errors import IngestError
from marketloop.ingest.config import GscSettings
from marketloop.ingest.http import ApiClient, ApiRejected
from marketloop.ingest.windows import DateWindow, read_window
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


def query_request(
    window: DateWindow, search_type: str, data_state: str, row_limit: int, start_row: int
) -> dict[str, Any]:
    return {
        "startDate": window.start.isoformat(),
        "endDate": window.end.isoformat(),
        "dimensions": list(DIMENSIONS),
        "type": search_type,
        "aggregationType": "auto",
        "dataState": data_state,
        "rowLimit": row_limit,
        "startRow": start_row,
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
    path = f"/webmasters/v3/sites/{quote(site_url, safe='')}/searchAnalytics/query"

    def fetch(start_row: int) -> list[dict[str, Any]]:
        body = query_request(
            window, settings.search_type, settings.data_state, settings.row_limit, start_row
        )
        try:
            response = client.call("POST", path, body=body)
        except ApiRejected as exc:
            raise IngestError(
                f"Search Console rejected the query for {site_url} ({window}): {exc.detail}",
                hint="check --site (a URL-prefix property ends with /; a domain property is "
                "sc-domain:example.com) and [gsc] settings; nothing was loaded",
            ) from None
        return list(response.get("rows") or [])

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gsc-page") as pool:
        start_row = 0
        pending = pool.submit(fetch, start_row)
        while True:
            rows = pending.result()
            client.stats.page(TABLE, len(rows))
            if not rows:  # paging ends with an empty page
                return
            start_row += len(rows)
            pending = pool.submit(fetch, start_row)
            yield rows_table(rows, site_url, settings.search_type, settings.data_state)


def gsc_source(
    client: ApiClient,
    settings: GscSettings,
    site_url: str,
    *,
    today: date,
    start: date | None = None,
    end: date | None = None,
) -> Any:
    """A dlt source with the one merge resource; the cursor per site lives in dlt's state."""
    import dlt

    def pages(window: DateWindow) -> Iterator[pa.Table]:
        log.info("gsc query", site=site_url, window=str(window))
        return query_pages(client, site_url, settings, window)

    def rows() -> Iterator[pa.Table]:
        yield from read_window(
            dlt.current.resource_state(TABLE).setdefault("cursors", {}),
            f"{site_url}|{settings.search_type}",
            pages,
            today=today,
            start=start,
            end=end,
            lookback_days=settings.lookback_days,
            initial_days=settings.initial_days,
        )

    @dlt.source(name="gsc", max_table_nesting=0)
    def source() -> Any:
        return dlt.resource(
            rows(),
            name=TABLE,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=["site_url", "search_type", "date"],
        )

    return source()
