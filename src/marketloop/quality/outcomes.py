"""What the loop's published content did, read from the marts for later steps (keyword and
briefs reports, `briefs generate`, the runner): the `content_performance` mart by week and per
period, and the decaying pages of `content_decay` with their top queries.

Readers only: a missing warehouse or a mart not built yet (no published brief, no Search
Console data, a warehouse marketloop reaches through dbt only) reads as nothing, never as an
error, so the steps that use them work without. A warehouse another job is writing raises
`WarehouseBusy` (transient: the runner retries) rather than reading as nothing, so that a step
never silently loses its update briefs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from marketloop.config import Settings
from marketloop.errors import MarketloopError
from marketloop.quality import inventory
from marketloop.quality.warehouse import (
    Warehouse,
    WarehouseBusy,
    connect,
    target_from_settings,
)
from marketloop.report import render, write_report

PERIODS = ("before", "after", "since")
TOP_QUERIES = 5


@dataclass(frozen=True)
class DecayingPage:
    page_key: str
    url: str
    clicks_before: int
    clicks_recent: int
    clicks_change: float  # -0.42: 42% fewer clicks
    recent_start: date
    recent_end: date
    queries: list[str] = field(default_factory=list)  # top queries of the earlier window


@dataclass(frozen=True)
class Outcomes:
    """What the reports show: the published briefs' summary and the decaying pages."""

    published: list[dict[str, Any]]
    decaying: list[DecayingPage]


def read_outcomes(settings: Settings) -> Outcomes:
    return Outcomes(performance_summary(content_performance(settings)), decaying_pages(settings))


def write_outcomes_html(outcomes: Outcomes, path: Path) -> Path:
    """A self-contained page: how published briefs did, and the decaying pages."""
    html = render(
        "marketloop.quality",
        "content_performance.html",
        title="Published content and decaying pages",
        published=outcomes.published,
        decaying=outcomes.decaying,
    )
    return write_report(path, html)


def content_performance(settings: Settings) -> list[dict[str, Any]]:
    """The `content_performance` mart: published brief x week, oldest publication first."""
    return _read(settings, "content_performance", _performance_sql)


def decaying_pages(settings: Settings) -> list[DecayingPage]:
    """Pages whose clicks fell by more than `quality.decay_share` (as of the last quality run),
    steepest fall first, with the queries that brought their clicks before."""
    rows = _read(settings, "content_decay", _decay_sql)
    return [DecayingPage(**row) for row in rows]


def performance_summary(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per published brief: clicks, impressions, sessions and leads in the 28 days before, the 28
    days after and since, and the impression-weighted position of each period. Pure."""
    briefs: dict[str, dict[str, Any]] = {}
    weights: dict[tuple[str, str], float] = {}
    for row in rows:
        slug = row["slug"]
        out = briefs.setdefault(slug, _summary_row(row))
        period = str(row["period"])
        for metric in ("clicks", "impressions", "sessions", "leads"):
            if row[metric] is not None:
                key = f"{metric}_{period}"
                out[key] = (out[key] or 0) + int(row[metric])
        if row["position"] is not None and row["impressions"]:
            weights[(slug, period)] = weights.get((slug, period), 0.0) + float(
                row["position"]
            ) * int(row["impressions"])
    for (slug, period), weight in weights.items():
        impressions = briefs[slug][f"impressions_{period}"]
        briefs[slug][f"position_{period}"] = weight / impressions if impressions else None
    return list(briefs.values())


def _summary_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: row[name] for name in ("slug", "action", "url", "published_at")}
    for period in PERIODS:
        for metric in ("clicks", "impressions", "sessions", "leads", "position"):
            out[f"{metric}_{period}"] = None
    return out


def _read(settings: Settings, mart: str, query: Any) -> list[dict[str, Any]]:
    schema = f"{settings.quality.schema_prefix}_marts"
    try:
        target = target_from_settings(settings)
        with connect(target, snapshot=True) as wh:
            found = {r.name for r in inventory.relations(wh, [schema])}
            if mart not in found:
                return []
            rows: list[dict[str, Any]] = query(wh, schema, found)
            return rows
    except WarehouseBusy:
        raise
    except MarketloopError:  # no warehouse yet, or one marketloop does not open
        return []


def _performance_sql(wh: Warehouse, schema: str, _found: set[str]) -> list[dict[str, Any]]:
    return wh.rows(f"select * from {schema}.content_performance order by published_at, slug, week")


def _decay_sql(wh: Warehouse, schema: str, found: set[str]) -> list[dict[str, Any]]:
    rows = wh.rows(
        "select page_key, url, clicks_before, clicks_recent, clicks_change, recent_start, "
        f"recent_end from {schema}.content_decay where decaying "
        "order by clicks_change, clicks_before desc, page_key"
    )
    if not rows or "query_page_performance" not in found:
        return rows
    keys = [r["page_key"] for r in rows]
    marks = ", ".join("?" for _ in keys)
    start = min(r["recent_start"] for r in rows)
    queries = wh.rows(
        "select page_key, query, sum(clicks) as clicks "
        f"from {schema}.query_page_performance where search_type = 'web' "
        f"and page_key in ({marks}) and date < ? and query is not null and query <> '' "
        "group by page_key, query order by page_key, clicks desc, query",
        [*keys, start],
    )
    by_page: dict[str, list[str]] = {}
    for q in queries:
        listed = by_page.setdefault(q["page_key"], [])
        if len(listed) < TOP_QUERIES:
            listed.append(str(q["query"]))
    return [r | {"queries": by_page.get(r["page_key"], [])} for r in rows]
