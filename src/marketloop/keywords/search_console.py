"""Search Console data from the warehouse: `gsc.search_analytics` where `[warehouse]` says
ingest loads it (the DuckDB file, or PostgreSQL; see quality/warehouse.py). Other destinations
cannot be read here yet; the run says so and goes on without Search Console data.

Read-only and closed as soon as the two aggregates are read, so a writer (an ingest run) is
never blocked for long; a writer holding the DuckDB file makes this a transient error to retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from marketloop.config import Settings
from marketloop.errors import KeywordsError, TransientError
from marketloop.keywords.model import KeywordRecord
from marketloop.quality.warehouse import (
    READABLE,
    Target,
    Warehouse,
    WarehouseBusy,
    connect,
    target_from_settings,
)

TABLE = "gsc.search_analytics"
_QUERY = "lower(trim(regexp_replace(query, '\\s+', ' ', 'g')))"


class WarehouseBusyError(KeywordsError, TransientError):
    """Another process is writing the warehouse (or PostgreSQL cannot be reached right now)."""


@dataclass(frozen=True)
class QueryStats:
    impressions: int
    clicks: int
    position: float  # impression-weighted average


@dataclass
class SearchData:
    queries: dict[str, QueryStats] = field(default_factory=dict)
    pages: dict[str, dict[str, int]] = field(default_factory=dict)  # query -> page -> impressions

    def as_keywords(self) -> list[KeywordRecord]:
        """Queries as keyword records: impressions stand in for volume."""
        return [
            KeywordRecord(keyword=q, volume=s.impressions, position=round(s.position, 1))
            for q, s in sorted(self.queries.items(), key=lambda item: -item[1].impressions)
        ]


def warehouse_target(settings: Settings) -> Target | None:
    """The warehouse to read Search Console data from; None for a destination not read yet."""
    if settings.warehouse.destination not in READABLE:
        return None
    return target_from_settings(settings)


def read_search_console(target: Target) -> SearchData | None:
    """Web search queries and their pages; None when there is no warehouse or no GSC table."""
    if target.kind == "duckdb" and not (target.path and target.path.is_file()):
        return None
    try:
        with connect(target, snapshot=True) as wh:
            if not _has_table(wh):
                return None
            return _aggregate(wh)
    except WarehouseBusy as exc:
        raise WarehouseBusyError(exc.message, hint=exc.hint) from None
    except _driver_errors(target) as exc:
        raise KeywordsError(
            f"cannot read {TABLE} in {target.display}: {' '.join(str(exc).split())}",
            hint="re-run `marketloop ingest gsc` to rebuild the table",
        ) from None


def _driver_errors(target: Target) -> tuple[type[Exception], ...]:
    if target.kind == "duckdb":
        return (duckdb.Error,)
    try:
        import psycopg
    except ImportError:  # connect() has said what to install
        return ()
    return (psycopg.Error,)


def _has_table(wh: Warehouse) -> bool:
    return bool(
        wh.rows(
            "SELECT 1 AS found FROM information_schema.tables "
            "WHERE table_schema = 'gsc' AND table_name = 'search_analytics'"
        )
    )


def _aggregate(wh: Warehouse) -> SearchData:
    data = SearchData()
    web = f"FROM {TABLE} WHERE coalesce(search_type, 'web') = 'web' AND query IS NOT NULL"
    for row in wh.rows(
        f"SELECT {_QUERY} AS q, sum(impressions) AS shown, sum(clicks) AS clicked, "
        "sum(position * impressions) / nullif(sum(impressions), 0) AS avg_position "
        f"{web} GROUP BY q"
    ):
        data.queries[row["q"]] = QueryStats(
            int(row["shown"] or 0), int(row["clicked"] or 0), float(row["avg_position"] or 0.0)
        )
    for row in wh.rows(
        f"SELECT {_QUERY} AS q, page, sum(impressions) AS shown {web} AND page IS NOT NULL "
        "GROUP BY q, page"
    ):
        data.pages.setdefault(row["q"], {})[row["page"]] = int(row["shown"] or 0)
    return data
