"""Search Console data from the warehouse (`gsc.search_analytics` in WORKSPACE/warehouse.duckdb).

Read-only and closed as soon as the two aggregates are read, so a writer (an ingest run) is
never blocked for long; a writer holding the file makes this a transient error to retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from marketloop.errors import KeywordsError, TransientError
from marketloop.keywords.model import KeywordRecord

TABLE = "gsc.search_analytics"
_QUERY = "lower(trim(regexp_replace(query, '\\s+', ' ', 'g')))"


class WarehouseBusyError(KeywordsError, TransientError):
    """Another process is writing the warehouse."""


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


def read_search_console(warehouse: Path) -> SearchData | None:
    """Web search queries and their pages; None when there is no warehouse or no GSC table."""
    if not warehouse.is_file():
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusyError(
            f"cannot open {warehouse} read-only: {exc}",
            hint="an ingest run is probably writing it; try again when it has finished",
        ) from None
    try:
        if not _has_table(con):
            return None
        return _aggregate(con)
    except duckdb.Error as exc:
        raise KeywordsError(
            f"cannot read {TABLE} in {warehouse}: {exc}",
            hint="re-run `marketloop ingest gsc` to rebuild the table",
        ) from None
    finally:
        con.close()


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'gsc' AND table_name = 'search_analytics'"
    ).fetchone()
    return bool(found and found[0])


def _aggregate(con: duckdb.DuckDBPyConnection) -> SearchData:
    data = SearchData()
    web = f"FROM {TABLE} WHERE coalesce(search_type, 'web') = 'web' AND query IS NOT NULL"
    rows = con.execute(
        f"SELECT {_QUERY} AS q, sum(impressions), sum(clicks), "
        f"sum(position * impressions) / nullif(sum(impressions), 0) {web} GROUP BY q"
    ).fetchall()
    for query, impressions, clicks, position in rows:
        data.queries[query] = QueryStats(int(impressions or 0), int(clicks or 0), position or 0.0)
    for query, page, impressions in con.execute(
        f"SELECT {_QUERY} AS q, page, sum(impressions) {web} AND page IS NOT NULL GROUP BY q, page"
    ).fetchall():
        data.pages.setdefault(query, {})[page] = int(impressions or 0)
    return data
