"""The pages of a crawl as a list people and tools page through: one row per URL with its
status, indexability (the crawl's one definition), depth, speed, size, words, title, inlinks
and the checks the stored audit flagged on it; filtered, sorted and cut into pages by cursor.

Pages can also be filtered by a custom extraction (`[[crawl.extract]]`, audit/extracted.py).

The first query of a crawl copies those columns into an in-memory DuckDB table (a second or
two at 100,000 pages); later queries read that table (milliseconds). The copy is keyed by the
crawl folder and the modification times of its manifest and `issues.parquet`, so a re-audit
is picked up. Cursors are page URLs: `starting_after=URL` continues after that row in the
chosen order (the URL breaks ties), like Stripe's object ids.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from marketloop.audit import extracted
from marketloop.audit.extracted import FieldFilter
from marketloop.audit.store import ISSUES_FILE
from marketloop.audit.views import dataset_errors
from marketloop.crawl.dataset import CrawlDataset
from marketloop.errors import UsageError
from marketloop.workspace import MANIFEST

if TYPE_CHECKING:
    import duckdb

#: what `sort` accepts; numbers are stored with -1 for "none", so every order is total
SORTS = ("url", "status", "depth", "response_time_ms", "size", "word_count", "inlinks", "issues")
Indexability = Literal[
    "indexable", "blocked_by_robots", "no_response", "redirect", "non_200", "noindex",
    "canonicalised", "external", "not_html", "unparsed",
]  # fmt: skip
COLUMNS = (
    "url", "status", "indexability", "depth", "content_type", "response_time_ms", "size",
    "word_count", "title", "inlinks", "issues", "checks",
)  # fmt: skip
CACHED = 4  # crawls kept in memory per process

BUILD = """
CREATE TABLE page_list AS
SELECT p.url,
       coalesce(p.status, -1) AS status,
       p.indexability,
       coalesce(p.depth, -1) AS depth,
       p.content_type,
       coalesce(p.response_time_ms, -1) AS response_time_ms,
       coalesce(p.size, -1) AS size,
       coalesce(p.word_count, -1) AS word_count,
       p.titles[1] AS title,
       coalesce(i.inlinks, 0) AS inlinks,
       coalesce(len(f.checks), 0) AS issues,
       coalesce(f.checks, []::VARCHAR[]) AS checks,
       lower(p.url) AS url_lower
FROM page_indexability p
LEFT JOIN inlinks i USING (url)
LEFT JOIN (SELECT url, list(DISTINCT "check" ORDER BY "check") AS checks
           FROM {issues} GROUP BY url) f USING (url)
"""


@dataclass(frozen=True)
class PageFilter:
    status: int | None = None
    indexability: str | None = None
    check: str | None = None
    url_contains: str | None = None
    sort: str = "url"
    descending: bool = False
    field: FieldFilter | None = None  # a custom extraction's (audit/extracted.py)


class PageList:
    """The materialised page rows of one crawl, safe to query from several threads."""

    def __init__(self, dataset: CrawlDataset) -> None:
        import duckdb

        self.dataset = dataset
        self._names: list[tuple[str, int]] | None = None
        self._db = duckdb.connect(":memory:")
        with dataset_errors(dataset):
            dataset.connect(self._db)
            issues = dataset.folder / ISSUES_FILE
            source = (
                f"read_parquet('{_sql_path(issues)}')"
                if issues.is_file()
                else '(SELECT NULL::VARCHAR AS url, NULL::VARCHAR AS "check" WHERE false)'
            )
            self._db.execute(BUILD.format(issues=source))
            self._db.execute("CREATE INDEX page_list_url ON page_list (url)")
            extracted.build(self._db)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._db.cursor()

    def query(
        self, where: PageFilter, *, limit: int | None, starting_after: str | None = None
    ) -> list[dict[str, Any]]:
        """Matching rows in order; `limit` None means all of them."""
        if where.sort not in SORTS:
            raise UsageError(f"cannot sort by {where.sort!r}; choose one of {', '.join(SORTS)}")
        clauses, params = _filters(where)
        con = self.cursor()
        try:
            if starting_after is not None:
                clause, values = _after(con, where, starting_after)
                clauses.append(clause)
                params += values
            direction = "DESC" if where.descending else "ASC"
            order = "url ASC" if where.sort == "url" and not where.descending else (
                f"{where.sort} {direction}, url ASC"
            )  # fmt: skip
            sql = f"SELECT {', '.join(COLUMNS)} FROM page_list"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += f" ORDER BY {order}"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description or []]
            return [_clean(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
        finally:
            con.close()

    def fields(self, urls: list[str], name: str | None = None) -> dict[str, dict[str, Any]]:
        """The custom extractions of `urls` (rule `name`'s only when given)."""
        con = self.cursor()
        try:
            return extracted.fields_of(con, urls, name)
        finally:
            con.close()

    def field_names(self) -> list[tuple[str, int]]:
        """The custom extraction rules of the crawl, with the pages each matched on."""
        if self._names is None:  # the table never changes: counted once
            con = self.cursor()
            try:
                self._names = extracted.names(con)
            finally:
                con.close()
        return self._names

    def check_field(self, name: str) -> None:
        """UsageError unless `name` is a custom extraction rule of this crawl."""
        known = [n for n, _ in self.field_names()]
        if name not in known:
            raise UsageError(
                f"no extraction {name!r} in this crawl",
                hint=f"its rules: {', '.join(known)}" if known
                else "the crawl had no [[crawl.extract]] rules (see docs/crawl.md)",
            )  # fmt: skip

    def stream(self, where: PageFilter, batch: int = 5_000) -> Iterator[list[dict[str, Any]]]:
        """All matching rows, `batch` at a time (for CSV downloads)."""
        after: str | None = None
        while True:
            rows = self.query(where, limit=batch, starting_after=after)
            if rows:
                yield rows
            if len(rows) < batch:
                return
            after = rows[-1]["url"]


def _filters(where: PageFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if where.status is not None:
        clauses.append("status = ?")
        params.append(where.status)
    if where.indexability is not None:
        clauses.append("indexability = ?")
        params.append(where.indexability)
    if where.check is not None:
        clauses.append("list_contains(checks, ?)")
        params.append(where.check)
    if where.url_contains:
        clauses.append("contains(url_lower, ?)")
        params.append(where.url_contains.lower())
    if where.field is not None:
        sql, values = extracted.clause(where.field)
        clauses.append(sql)
        params += values
    return clauses, params


def _after(con: duckdb.DuckDBPyConnection, where: PageFilter, url: str) -> tuple[str, list[Any]]:
    """The clause that continues after the row of `url` in the chosen order."""
    found = con.execute(f"SELECT {where.sort} FROM page_list WHERE url = ?", [url]).fetchone()
    if found is None:
        raise UsageError(
            f"starting_after {url!r} is no page of this crawl",
            hint="pass the url of the last row of the previous page",
        )
    if where.sort == "url":
        return ("url < ?" if where.descending else "url > ?"), [url]
    op = "<" if where.descending else ">"
    return f"({where.sort} {op} ? OR ({where.sort} = ? AND url > ?))", [found[0], found[0], url]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """-1 back to None (no response, no depth, ...)."""
    for name in ("status", "depth", "response_time_ms", "size", "word_count"):
        if row[name] == -1:
            row[name] = None
    return row


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


_lists: OrderedDict[tuple[str, float, float], PageList] = OrderedDict()
_lock = threading.Lock()


def page_list(dataset: CrawlDataset) -> PageList:
    """The cached PageList of `dataset` (rebuilt when its manifest or audit changed)."""
    folder = dataset.folder.resolve()
    issues = folder / ISSUES_FILE
    key = (
        str(folder),
        (folder / MANIFEST).stat().st_mtime,
        issues.stat().st_mtime if issues.is_file() else 0.0,
    )
    with _lock:
        if key in _lists:
            _lists.move_to_end(key)
            return _lists[key]
    built = PageList(dataset)  # outside the lock: other crawls stay readable meanwhile
    with _lock:
        _lists[key] = built
        for stale in [k for k in _lists if k[0] == key[0] and k != key]:
            del _lists[stale]
        while len(_lists) > CACHED:
            _lists.popitem(last=False)
    return built
