"""Crawl comparison: issues new, resolved and persisting; pages added, removed and changed.

Issues are matched by (check, url). Pages are the internal URLs of each crawl (images aside),
matched by URL; a page changed when one of `FIELDS` differs between the crawls. A crawl is
audited first when it has no `issues.parquet`, or one made with other checks or thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.audit.model import Issue
from marketloop.audit.registry import plan
from marketloop.audit.store import AuditRecord, read_issues
from marketloop.audit.views import MACROS, validate
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


@dataclass(frozen=True)
class CrawlDiff:
    old_crawl: str
    new_crawl: str
    new_issues: list[Issue]
    resolved_issues: list[Issue]
    persisting_issues: list[Issue]
    added_pages: list[str]
    removed_pages: list[str]
    changed_pages: list[PageChange]

    def rows(self) -> list[dict[str, Any]]:
        """Every difference as one flat row (`crawl-diff --format csv`): what changed, where."""
        issue_kinds = (("new issue", self.new_issues), ("resolved issue", self.resolved_issues),
                       ("persisting issue", self.persisting_issues))  # fmt: skip
        rows: list[dict[str, Any]] = [
            {"change": kind, "url": i.url, "check": i.check, "severity": i.severity.value,
             "detail": i.detail}
            for kind, issues in issue_kinds
            for i in issues
        ]  # fmt: skip
        rows += [{"change": "page added", "url": u} for u in self.added_pages]
        rows += [{"change": "page removed", "url": u} for u in self.removed_pages]
        rows += [
            {"change": "page changed", "url": c.url, "field": c.field, "old": c.old, "new": c.new}
            for c in self.changed_pages
        ]
        return rows

    #: the columns of `rows`
    COLUMNS = ("change", "url", "check", "severity", "detail", "field", "old", "new")

    def summary(self) -> list[dict[str, Any]]:
        counts = {
            "issues new": len(self.new_issues),
            "issues resolved": len(self.resolved_issues),
            "issues persisting": len(self.persisting_issues),
            "pages added": len(self.added_pages),
            "pages removed": len(self.removed_pages),
            "pages changed": len({c.url for c in self.changed_pages}),
        }
        return [{"what": what, "count": count} for what, count in counts.items()]

    def as_json(self) -> dict[str, Any]:
        return {
            "old_crawl": self.old_crawl,
            "new_crawl": self.new_crawl,
            "issues": {
                "new": [i.as_row() for i in self.new_issues],
                "resolved": [i.as_row() for i in self.resolved_issues],
                "persisting": [i.as_row() for i in self.persisting_issues],
            },
            "pages": {
                "added": self.added_pages,
                "removed": self.removed_pages,
                "changed": [c.__dict__ for c in self.changed_pages],
            },
        }


def crawl_diff(old: CrawlDataset, new: CrawlDataset, settings: AuditSettings) -> CrawlDiff:
    before, after = issues_of(old, settings), issues_of(new, settings)
    old_keys = {(i.check, i.url) for i in before}
    new_keys = {(i.check, i.url) for i in after}
    added, removed, changed = compare_pages(old, new)
    return CrawlDiff(
        old_crawl=old.manifest.crawl_id,
        new_crawl=new.manifest.crawl_id,
        new_issues=[i for i in after if (i.check, i.url) not in old_keys],
        resolved_issues=[i for i in before if (i.check, i.url) not in new_keys],
        persisting_issues=[i for i in after if (i.check, i.url) in old_keys],
        added_pages=added,
        removed_pages=removed,
        changed_pages=changed,
    )


def issues_of(dataset: CrawlDataset, settings: AuditSettings) -> list[Issue]:
    """The stored audit when it matches the settings in force; otherwise audit (and store) now."""
    stored = read_issues(dataset.folder)
    chosen = plan(settings)
    wanted = AuditRecord(
        dataset.manifest.crawl_id, [c.id for c in chosen.checks], chosen.disabled, chosen.limits
    )
    if stored is not None and stored[1].same_settings(wanted):
        return stored[0]
    return audit(dataset, settings).issues


def compare_pages(
    old: CrawlDataset, new: CrawlDataset
) -> tuple[list[str], list[str], list[PageChange]]:
    con = duckdb.connect()
    try:
        con.execute(MACROS)
        for side, dataset in (("old", old), ("new", new)):
            validate(dataset)
            with read_errors(dataset):
                _facts(con, side, dataset)
        added = _urls(con, "SELECT url FROM new EXCEPT SELECT url FROM old ORDER BY url")
        removed = _urls(con, "SELECT url FROM old EXCEPT SELECT url FROM new ORDER BY url")
        changes = " UNION ALL ".join(
            f"SELECT url, '{name}' AS field, o.{name} AS old, n.{name} AS new "
            f"FROM old o JOIN new n USING (url) WHERE o.{name} IS DISTINCT FROM n.{name}"
            for name in FIELDS
        )
        rows = con.execute(f"SELECT * FROM ({changes}) ORDER BY url, field").fetchall()
        return added, removed, [PageChange(*row) for row in rows]
    finally:
        con.close()


def _facts(con: duckdb.DuckDBPyConnection, side: str, dataset: CrawlDataset) -> None:
    dataset.connect(con)  # (re)defines the `pages` view (and those over it) for this side
    columns = ", ".join(f"{expr} AS {name}" for name, expr in FIELDS.items())
    con.execute(
        f"CREATE TEMP TABLE {side} AS SELECT url, {columns} FROM page_indexability "
        "WHERE is_internal AND coalesce(found_via, '') <> 'image'"
    )


def _urls(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(sql).fetchall()]
