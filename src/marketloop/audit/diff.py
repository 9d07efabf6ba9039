"""Crawl comparison: issues new, resolved and persisting; pages added, removed and changed.

Issues are matched by (check, url). Pages are the internal URLs of each crawl (images aside),
matched by URL; a page changed when one of `FIELDS` differs between the crawls. A crawl is
audited first when it has no `issues.parquet`, or one made with other checks or thresholds.

Everything is compared in DuckDB, over the two stored `issues.parquet` files and a table of each
crawl's page facts, and read from there as it is shown: two million-page crawls carry millions
of issues, which as Python objects took gigabytes. The counts come from SQL; the CSV and JSON
outputs are streamed `BATCH_ROWS` rows at a time; the table and the reports read the first rows
of each list.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import duckdb

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.audit.model import Issue
from marketloop.audit.registry import plan
from marketloop.audit.store import ISSUES, ISSUES_FILE, AuditRecord, as_issues, stored_record
from marketloop.audit.views import MACROS, capped_connection, out_of_memory, validate
from marketloop.crawl.dataset import CrawlDataset, read_errors

#: what a page change is about, and the SQL expression that reads it from `page_indexability`
#: (`pages` plus the shared indexability reason; see crawl/dataset.py)
FIELDS = {
    "status": "coalesce(status::VARCHAR, error, 'no response')",
    "indexability": "coalesce(blocker(indexability, status, error, redirect_url, canonical_target),"
    " indexability)",
    "title": "first_text(titles)",
    "meta_description": "first_text(meta_descriptions)",
    "h1": "first_text(h1)",
    "word_count": "word_count::VARCHAR",
    "depth": "depth::VARCHAR",
    "canonical": "canonical_target",
}


@dataclass(frozen=True)
class PageChange:
    url: str
    field: str
    old: str | None
    new: str | None


IssueKind = Literal["new", "resolved", "persisting"]
PageKind = Literal["added", "removed"]
BATCH_ROWS = 10_000

#: each list of issues, in the order of the audit it comes from (highest priority first):
#: (which crawl's issues, whether the other crawl has the same (check, url))
_ISSUE_LISTS: dict[str, tuple[str, bool]] = {
    "new": ("new", False),
    "resolved": ("old", False),
    "persisting": ("new", True),
}
_PAGE_LISTS = {
    "added": "SELECT url FROM new EXCEPT SELECT url FROM old",
    "removed": "SELECT url FROM old EXCEPT SELECT url FROM new",
}
_CHANGES = " UNION ALL ".join(
    f"SELECT url, '{name}' AS field, o.{name} AS old, n.{name} AS new "
    f"FROM old o JOIN new n USING (url) WHERE o.{name} IS DISTINCT FROM n.{name}"
    for name in FIELDS
)


class CrawlDiff:
    """Two crawls compared, open in one DuckDB connection: close it (or use `with`) when done.

    Lists are read on demand: `issues`, `pages` and `changes` their first `limit` rows as
    objects, `rows` and `batches` every row, a batch at a time. `counts` holds every list's
    length."""

    #: the columns of `rows`
    COLUMNS = ("change", "url", "check", "severity", "detail", "field", "old", "new")
    ISSUE_KINDS: tuple[IssueKind, ...] = ("new", "resolved", "persisting")
    PAGE_KINDS: tuple[PageKind, ...] = ("added", "removed")

    def __init__(
        self, old: CrawlDataset, new: CrawlDataset, con: duckdb.DuckDBPyConnection, stack: ExitStack
    ) -> None:
        self.old_crawl, self.new_crawl = old.manifest.crawl_id, new.manifest.crawl_id
        self._new, self._con, self._stack = new, con, stack
        counts: dict[str, int] = {k: self._count(_issue_sql(k)) for k in self.ISSUE_KINDS}
        counts |= {kind: self._count(_PAGE_LISTS[kind]) for kind in self.PAGE_KINDS}
        counts["changes"] = self._count(_CHANGES)
        counts["changed"] = self._count(f"SELECT DISTINCT url FROM ({_CHANGES})")
        #: rows per list: `ISSUE_KINDS`, `PAGE_KINDS`, "changes" (rows) and "changed" (pages)
        self.counts = counts

    def _count(self, sql: str) -> int:
        with self._memory():
            return int(self._con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0])

    @contextmanager
    def _memory(self) -> Iterator[None]:
        """DuckDB out of memory (past `audit.memory_limit`) as a clear error."""
        try:
            yield
        except duckdb.OutOfMemoryException as exc:
            raise out_of_memory(self._new, exc, f"comparing crawl {self.old_crawl} with") from None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> CrawlDiff:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def summary(self) -> list[dict[str, Any]]:
        c = self.counts
        counts = {
            "issues new": c["new"],
            "issues resolved": c["resolved"],
            "issues persisting": c["persisting"],
            "pages added": c["added"],
            "pages removed": c["removed"],
            "pages changed": c["changed"],
        }
        return [{"what": what, "count": count} for what, count in counts.items()]

    def issues(self, kind: IssueKind, limit: int | None = None) -> list[Issue]:
        """The first `limit` (default all) issues of a list, in their audit's order."""
        with self._memory():
            table = self._con.sql(_issue_sql(kind) + _limit(limit)).to_arrow_table()
        return as_issues(table)

    def pages(self, kind: PageKind, limit: int | None = None) -> list[str]:
        """The first `limit` (default all) URLs added or removed, in URL order."""
        with self._memory():
            return [row[0] for row in self._con.execute(_page_sql(kind) + _limit(limit)).fetchall()]

    def changes(self, limit: int | None = None) -> list[PageChange]:
        """The first `limit` (default all) field changes, by URL then field."""
        with self._memory():
            rows = self._con.execute(_changes_sql() + _limit(limit)).fetchall()
        return [PageChange(*row) for row in rows]

    def batches(self, sql: str) -> Iterator[list[dict[str, Any]]]:
        """The rows of `sql` (one of `lists`) as dicts, `BATCH_ROWS` at a time."""
        with self._memory():
            for batch in self._con.sql(sql).to_arrow_reader(BATCH_ROWS):
                yield batch.to_pylist()

    def lists(self) -> dict[str, str]:
        """The query of each list, in the order of `rows`: issues (`Issue.as_row` columns),
        then added and removed pages (`url`), then changes (`url, field, old, new`)."""
        issues = {kind: _issue_sql(kind) for kind in self.ISSUE_KINDS}
        pages = {kind: _page_sql(kind) for kind in self.PAGE_KINDS}
        return issues | pages | {"changed": _changes_sql()}

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every difference as one flat row (`crawl-diff --format csv`), streamed."""
        changes = {"new": "new issue", "resolved": "resolved issue",
                   "persisting": "persisting issue", "added": "page added",
                   "removed": "page removed", "changed": "page changed"}  # fmt: skip
        for kind, sql in self.lists().items():
            for batch in self.batches(sql):
                for row in batch:
                    yield {"change": changes[kind], **row}


def crawl_diff(old: CrawlDataset, new: CrawlDataset, settings: AuditSettings) -> CrawlDiff:
    """The two crawls compared (audited first where their stored audit does not match)."""
    issue_files = [issues_of(dataset, settings) for dataset in (old, new)]
    stack = ExitStack()
    try:
        con = stack.enter_context(capped_connection(new, settings))
        _load_pages(con, old, new)
        for side, path in zip(("old", "new"), issue_files, strict=True):
            source = str(path).replace("'", "''")
            columns = ", ".join(f'"{name}"' for name in ISSUES.names)
            con.execute(
                f"CREATE TEMP VIEW {side}_issues AS SELECT {columns}, file_row_number AS n "
                f"FROM read_parquet('{source}', file_row_number = true)"
            )
        return CrawlDiff(old, new, con, stack)
    except BaseException:
        stack.close()
        raise


def issues_of(dataset: CrawlDataset, settings: AuditSettings) -> Path:
    """The crawl's `issues.parquet`: the stored one when it matches the settings in force;
    otherwise audit (and store) now."""
    stored = stored_record(dataset.folder)
    chosen = plan(settings)
    wanted = AuditRecord(
        dataset.manifest.crawl_id, [c.id for c in chosen.checks], chosen.disabled, chosen.limits
    )
    if stored is None or not stored.same_settings(wanted):
        audit(dataset, settings)  # stores its result
    return dataset.folder / ISSUES_FILE


def compare_pages(
    old: CrawlDataset, new: CrawlDataset
) -> tuple[list[str], list[str], list[PageChange]]:
    """Added, removed and changed pages, every row (for small crawls: `crawl_diff` streams)."""
    con = duckdb.connect()
    try:
        _load_pages(con, old, new)
        added, removed = (
            [row[0] for row in con.execute(_page_sql(kind)).fetchall()]
            for kind in CrawlDiff.PAGE_KINDS
        )
        rows = con.execute(_changes_sql()).fetchall()
        return added, removed, [PageChange(*row) for row in rows]
    finally:
        con.close()


def _load_pages(con: duckdb.DuckDBPyConnection, old: CrawlDataset, new: CrawlDataset) -> None:
    con.execute(MACROS)
    for side, dataset in (("old", old), ("new", new)):
        validate(dataset)
        with read_errors(dataset):
            _facts(con, side, dataset)


def _facts(con: duckdb.DuckDBPyConnection, side: str, dataset: CrawlDataset) -> None:
    dataset.connect(con)  # (re)defines the `pages` view (and those over it) for this side
    columns = ", ".join(f"{expr} AS {name}" for name, expr in FIELDS.items())
    con.execute(
        f"CREATE TEMP TABLE {side} AS SELECT url, {columns} FROM page_indexability "
        "WHERE is_internal AND coalesce(found_via, '') <> 'image'"
    )


def _issue_sql(kind: str) -> str:
    side, matched = _ISSUE_LISTS[kind]
    other = "new" if side == "old" else "old"
    join = "SEMI" if matched else "ANTI"
    columns = ", ".join(f'i."{name}"' for name in ISSUES.names)
    return (
        f"SELECT {columns} FROM {side}_issues i {join} JOIN {other}_issues o "
        'ON i."check" IS NOT DISTINCT FROM o."check" AND i.url IS NOT DISTINCT FROM o.url '
        "ORDER BY i.n"
    )


def _page_sql(kind: str) -> str:
    return f"{_PAGE_LISTS[kind]} ORDER BY url"


def _changes_sql() -> str:
    return f"SELECT * FROM ({_CHANGES}) ORDER BY url, field"


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"
