"""GA4 Data API `properties/{id}:runReport` → one warehouse table per configured report.

Rows arrive positional: `dimensionValues[i]` belongs to `dimensionHeaders[i]`, `metricValues[j]`
to `metricHeaders[j]`, every value a string. We zip them with the headers, type metrics from
`metricHeaders[].type` (TYPE_INTEGER → BIGINT, every other type → DOUBLE), parse `date`
(YYYYMMDD), flag `(other)` rows and thresholded responses, and page with limit/offset until
`rowCount` rows have arrived (dlt's OffsetPaginator). The public source is
`marketloop.ingest.sources.ga4`. GA4 returns one row per combination of dimension values, and a
run replaces the whole days it read (merge key property_id + date): re-runs add no duplicates,
late corrections land, and rows GA4 no longer reports for a day disappear with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import dlt
import httpx
import pyarrow as pa

from marketloop.config import config_file
from marketloop.errors import IngestError
from marketloop.ingest.config import Ga4Report, Ga4Settings
from marketloop.ingest.cursors import ANY_DATE, date_window
from marketloop.ingest.http import ApiClient, ApiRejected, error_detail
from marketloop.ingest.paging import paginate
from marketloop.ingest.stats import RunStats
from marketloop.ingest.windows import DateWindow
from marketloop.observe.logging import get_logger

log = get_logger("marketloop.ingest.ga4")
OTHER = "(other)"
INTEGER_TYPES = frozenset({"TYPE_INTEGER"})


def snake(name: str) -> str:
    """GA4's camelCase API name as the warehouse column (dlt's snake_case naming)."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return str(NamingConvention().normalize_identifier(name))


def report_request(report: Ga4Report, window: DateWindow) -> dict[str, Any]:
    """The runReport body; the paginator adds `limit` and `offset`."""
    return {
        "dateRanges": [{"startDate": window.start.isoformat(), "endDate": window.end.isoformat()}],
        "dimensions": [{"name": name} for name in report.dimensions],
        "metrics": [{"name": name} for name in report.metrics],
        "keepEmptyRows": False,
        "returnPropertyQuota": True,
    }


def _metric_value(text: str | None, integer: bool) -> int | float | None:
    if text is None or text == "":
        return None
    return int(float(text)) if integer else float(text)


def _dimension_value(name: str, text: str) -> str | date:
    if name == "date" and text != OTHER:
        return datetime.strptime(text, "%Y%m%d").date()
    return text


def report_table(response: Mapping[str, Any], property_id: str) -> pa.Table:
    """Zip one runReport response's positional rows with its headers into a typed table."""
    dimensions = [h["name"] for h in response.get("dimensionHeaders", [])]
    metrics = [
        (h["name"], h.get("type") in INTEGER_TYPES) for h in response.get("metricHeaders", [])
    ]
    rows: Sequence[Mapping[str, Any]] = response.get("rows", [])
    thresholded = bool(response.get("metadata", {}).get("subjectToThresholding", False))
    columns: dict[str, list[Any]] = {"property_id": [property_id] * len(rows)}
    for i, name in enumerate(dimensions):
        columns[snake(name)] = [
            _dimension_value(name, row["dimensionValues"][i]["value"]) for row in rows
        ]
    for j, (name, integer) in enumerate(metrics):
        columns[snake(name)] = [
            _metric_value(row["metricValues"][j].get("value"), integer) for row in rows
        ]
    columns["is_other_row"] = [
        any(v.get("value") == OTHER for v in row["dimensionValues"]) for row in rows
    ]
    columns["thresholding_applied"] = [thresholded] * len(rows)
    return pa.table(columns, schema=_schema(dimensions, metrics))


def _schema(dimensions: list[str], metrics: list[tuple[str, bool]]) -> pa.Schema:
    fields = [pa.field("property_id", pa.string(), nullable=False)]
    for name in dimensions:
        kind = pa.date32() if name == "date" else pa.string()
        fields.append(pa.field(name, kind, nullable=False))
    fields += [pa.field(name, pa.int64() if i else pa.float64()) for name, i in metrics]
    fields += [pa.field("is_other_row", pa.bool_()), pa.field("thresholding_applied", pa.bool_())]
    return pa.schema([f.with_name(snake(f.name)) for f in fields])


def quota_wait(response: httpx.Response) -> float | None:
    """Seconds until a spent GA4 token quota returns ("Exhausted property tokens per day.
    These quota tokens will return in under 24 hours."); None for a 429 worth retrying soon
    (e.g. too many concurrent requests)."""
    detail = error_detail(response)
    if "Exhausted" not in detail or "tokens" not in detail:
        return None
    if "per day" in detail:
        return 24 * 3600.0
    return 3600.0 if "per hour" in detail else None


def note_quota(response: Mapping[str, Any], stats: RunStats) -> None:
    quota = response.get("propertyQuota") or {}
    for key, label in (("tokensPerDay", "tokens/day"), ("tokensPerHour", "tokens/hour")):
        remaining = (quota.get(key) or {}).get("remaining")
        if remaining is not None:
            stats.quota[label] = float(remaining)
    if quota:  # key names without "token": the log redactor would mask them
        left = {_quota_name(k): (v or {}).get("remaining") for k, v in quota.items()}
        log.info("ga4 property quota left", **left)


def _quota_name(key: str) -> str:
    """`tokensPerDay` → `per_day` (log keys that name credentials are masked)."""
    return snake(key.replace("tokens", "").replace("Tokens", "") or key).strip("_")


def report_pages(
    client: ApiClient,
    property_id: str,
    name: str,
    *,
    report: Ga4Report,
    window: DateWindow,
    page_size: int,
) -> Iterator[pa.Table]:
    """Every page of one report for one property and window, as typed tables: dlt's
    OffsetPaginator on `offset`/`limit` in the body, until `rowCount` rows (or an empty page)."""
    from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

    paginator = OffsetPaginator(
        limit=page_size,
        offset_body_path="offset",
        limit_body_path="limit",
        total_path="rowCount",
        stop_after_empty_page=True,
    )
    path = f"/v1beta/properties/{property_id}:runReport"
    responses = paginate(
        client,
        "POST",
        path,
        paginator,
        select=lambda response: list(response.get("rows") or []),
        body=report_request(report, window),
    )
    try:
        for response in responses:
            table = report_table(response, property_id)
            note_quota(response, client.stats)
            client.stats.page(name, table.num_rows, int(response.get("rowCount", 0)))
            if table.num_rows:
                yield table
    except ApiRejected as exc:
        raise _rejected(exc, name, report, property_id) from None


def _rejected(exc: ApiRejected, name: str, report: Ga4Report, property_id: str) -> IngestError:
    named = [f for f in (*report.metrics, *report.dimensions) if f in exc.detail.split()]
    fields = ", ".join(named) if named else "the dimensions and metrics"
    return IngestError(
        f"GA4 rejected report {name!r} for property {property_id} (HTTP {exc.status}): "
        f"{exc.detail}",
        hint=f"fix {fields} in [ga4.reports.{name}] of {config_file()} "
        "(GA4 renames fields, e.g. conversions became keyEvents); nothing was loaded",
    )


def report_rows(
    client: ApiClient,
    property_id: str,
    name: str,
    report: Ga4Report,
    settings: Ga4Settings,
    *,
    first: date | None,
    last: date,
    cursor: dlt.sources.incremental[date] = ANY_DATE,
) -> Iterator[pa.Table]:
    """The resource of one report: the days from the cursor (less the lookback, dlt's `lag`)
    or from `first` (a backfill), to `last`."""
    with client:
        window = date_window(cursor, first, last, settings.initial_days)
        log.info("ga4 report", report=name, property=property_id, window=str(window))
        yield from report_pages(
            client, property_id, name, report=report, window=window, page_size=settings.page_size
        )
