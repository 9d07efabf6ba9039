"""Checks for pages that repeat each other: titles, descriptions, content (exact and near)."""

from collections.abc import Iterator

import pyarrow.compute as pc
import structlog

from marketloop.audit import simhash
from marketloop.audit.checks.scope import INDEXABLE
from marketloop.audit.model import CheckContext, Finding, Severity, Threshold
from marketloop.audit.registry import python_check, sql_check

log = structlog.get_logger("marketloop.audit")


def _shared(key: str, what: str, scope_filter: str = "true") -> str:
    """Every member of each group of indexable pages sharing `key` (an SQL expression)."""
    return f"""
    WITH d AS (
      SELECT * FROM (SELECT url, {key} AS k FROM indexable_pages WHERE {scope_filter})
      WHERE k IS NOT NULL
    ), g AS (
      SELECT k, count(*) AS n, list(url ORDER BY url)[1:6] AS sample
      FROM d GROUP BY k HAVING count(*) > 1
    )
    SELECT d.url,
           '{what} shared with ' || plural(g.n - 1, 'other page') || ': '
             || sample_text([u for u in g.sample if u <> d.url][1:5], g.n - 1) AS detail,
           g.n AS value
    FROM d JOIN g USING (k)
    """


_TITLE = r"lower(regexp_replace(first_text(titles), '\s+', ' ', 'g'))"
_DESCRIPTION = r"lower(regexp_replace(first_text(meta_descriptions), '\s+', ' ', 'g'))"

sql_check(
    "duplicate_title",
    Severity.warning,
    scope=INDEXABLE + "; every member of each group is reported",
    description="Several indexable pages have the same title.",
    fix="Identical titles make pages compete for the same searches and hide what makes each "
    "one different. Give every page a unique title; if the pages really are the same, "
    "canonicalise the copies to one URL.",
    sql=_shared(_TITLE, "title"),
)

sql_check(
    "duplicate_meta_description",
    Severity.notice,
    scope=INDEXABLE + "; every member of each group is reported",
    description="Several indexable pages have the same meta description.",
    fix="A shared description says nothing specific about any of them. Write one per page.",
    sql=_shared(_DESCRIPTION, "meta description"),
)

sql_check(
    "duplicate_content",
    Severity.warning,
    scope=INDEXABLE + " with some main content; every member of each group is reported",
    description="Several indexable pages have exactly the same main content.",
    fix="Search engines index one copy and may pick the wrong one. Keep one page, 301 or "
    "canonicalise the copies to it, and fix what creates the copies (parameters, paths).",
    sql=_shared("content_hash", "identical main content", "coalesce(word_count, 0) > 0"),
)

NEAR_DUPLICATE = Threshold(
    "near_duplicate",
    90,
    "%",
    "flag pages whose main content shares at least this share of its words with another's "
    "(estimated from 256-bit MinHash fingerprints)",
    minimum=80,
    maximum=100,
)


@python_check(
    "near_duplicate",
    Severity.warning,
    scope=INDEXABLE + " with some main content; groups linked by similar pairs, every member "
    "reported with its closest other member (groups of exact copies only are left to "
    "duplicate_content)",
    description="Several indexable pages have almost the same main content.",
    fix="Near-duplicates split ranking signals and look like thin, templated content. Merge "
    "them, make each substantially different, or canonicalise the variants to one page.",
    thresholds=(NEAR_DUPLICATE,),
)
def near_duplicate(ctx: CheckContext) -> Iterator[Finding]:
    if not _has_minhash(ctx):  # a crawl from before MinHash fingerprints: re-crawl to check
        log.warning("near_duplicate skipped: the crawl has no minhash column; crawl again")
        return
    table = ctx.con.sql(
        "SELECT url, minhash, content_hash FROM indexable_pages "
        "WHERE len(minhash) = 4 AND coalesce(word_count, 0) > 0 ORDER BY url"
    ).to_arrow_table()  # columnar: a million fingerprints are one 32 MB array
    prints = pc.list_flatten(table["minhash"]).to_numpy().reshape(-1, 4)
    percent = ctx.limits["near_duplicate"]
    distance = simhash.max_distance(percent)
    groups = simhash.near_duplicate_groups(prints, distance)
    urls, hashes = table["url"], table["content_hash"]
    for group in groups:
        if len({hashes[m].as_py() for m in group.members}) < 2:
            continue
        size = len(group.members)
        for member in group.members:
            best = simhash.similarity(group.closest[member])
            yield Finding(
                url=urls[member].as_py(),
                detail=f"{best:g}% similar to {urls[group.nearest[member]].as_py()} "
                f"(threshold {percent:g}%); group of {size} pages",
                value=best,
            )


def _has_minhash(ctx: CheckContext) -> bool:
    return bool(ctx.rows("SELECT 1 FROM (DESCRIBE pages) WHERE column_name = 'minhash'"))
