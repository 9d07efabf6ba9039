"""The audit's view of a crawl dataset: a checked DuckDB connection plus shared helper tables.

`open_views(dataset)` validates every Parquet part (a corrupted or foreign file is a clear
`CrawlDatasetError` naming it), opens the dataset views (`crawl.dataset`), and adds what many
checks share, computed once per audit:

    html_pages        internal URLs answering 200 with an HTML content type that parsed
    indexable_pages   html_pages without noindex whose canonical is missing or points to itself
    page_state        every URL of `pages` with its indexability blocker (NULL when indexable)
    refs              per URL: pages referring to it (any link or <img>; `_a`: <a> links only);
                      skipped with `refs=False` (the report overview needs no link pass)
    in_sitemap        URLs listed in a urlset sitemap, with one sitemap naming them
    crawl             one row: the crawl id and start URL from the manifest
    macros            is_html, is_noindex, canonical_of, plural, sample_text, linked_from

Any DuckDB error while the checks run (a truncated part file, a missing column) is turned into
a `CrawlDatasetError` that names the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.schema import SCHEMAS
from marketloop.errors import CrawlDatasetError

MACROS = r"""
CREATE OR REPLACE TEMP MACRO is_html(ct) AS
    coalesce(ct IN ('text/html', 'application/xhtml+xml'), false);
CREATE OR REPLACE TEMP MACRO robots_none(v, sep) AS
    coalesce(regexp_matches(lower(v), '(^|[\s,' || sep || '])(noindex|none)($|[\s,])'), false);
CREATE OR REPLACE TEMP MACRO is_noindex(meta, header) AS
    robots_none(meta, '') OR robots_none(header, ':');
CREATE OR REPLACE TEMP MACRO canonical_of(link, header) AS nullif(trim(coalesce(link, header)), '');
CREATE OR REPLACE TEMP MACRO texts(items) AS
    [x for x in coalesce(items, []) if trim(x) <> ''];
CREATE OR REPLACE TEMP MACRO first_text(items) AS trim(texts(items)[1]);
CREATE OR REPLACE TEMP MACRO plural(n, word) AS
    n || ' ' || word || CASE WHEN n = 1 THEN '' ELSE 's' END;
CREATE OR REPLACE TEMP MACRO sample_text(items, total) AS array_to_string(items, ', ')
    || CASE WHEN total > len(items) THEN ' (+' || (total - len(items)) || ' more)' ELSE '' END;
CREATE OR REPLACE TEMP MACRO blocker(
    blocked, status, error, redirect_url, meta, header, canonical, url) AS CASE
         WHEN blocked THEN 'blocked by robots.txt'
         WHEN status IS NULL THEN 'no response (' || coalesce(error, 'unknown error') || ')'
         WHEN status BETWEEN 300 AND 399
           THEN 'redirects (HTTP ' || status || ') to ' || coalesce(redirect_url, 'nowhere')
         WHEN status <> 200 THEN 'HTTP ' || status
         WHEN is_noindex(meta, header) THEN 'noindex'
         WHEN canonical <> url THEN 'canonicalised to ' || canonical
       END;
CREATE OR REPLACE TEMP MACRO linked_from(n, sample) AS CASE WHEN coalesce(n, 0) = 0
    THEN 'not linked from any crawled page'
    ELSE 'linked from ' || plural(n, 'page') || ': ' || sample_text(sample, n) END;
"""

HELPERS = """
CREATE OR REPLACE TEMP VIEW html_pages AS
SELECT * FROM pages
WHERE is_internal AND status = 200 AND is_html(content_type)
  AND NOT coalesce(blocked_by_robots, false) AND parse_error IS NULL;

CREATE OR REPLACE TEMP TABLE page_state AS
SELECT url, is_internal, status, depth, found_via, is_html(content_type) AS html,
       canonical_of(canonical, canonical_header) AS canonical_target,
       blocker(blocked_by_robots, status, error, redirect_url, meta_robots, x_robots_tag,
               canonical_of(canonical, canonical_header), url) AS blocker
FROM pages;

CREATE OR REPLACE TEMP VIEW indexable_pages AS
SELECT * FROM html_pages WHERE url IN (SELECT url FROM page_state WHERE blocker IS NULL);

CREATE OR REPLACE TEMP TABLE in_sitemap AS
SELECT url, min(sitemap_url) AS sitemap FROM sitemap_urls GROUP BY url;
"""

#: the heaviest helper (a pass over every link): only the checks need it, not the overview
REFS = """
CREATE OR REPLACE TEMP TABLE refs AS
WITH r AS (
  SELECT url, from_url, bool_or(is_a) AS is_a FROM (
    SELECT to_url AS url, from_url, kind = 'a' AS is_a FROM links WHERE from_url <> to_url
    UNION ALL
    SELECT src, page_url, false FROM images
  ) GROUP BY ALL
)
SELECT url, count(*) AS n, min(from_url, 3) AS sample,
       count(*) FILTER (WHERE is_a) AS n_a,
       coalesce(min(from_url, 3) FILTER (WHERE is_a), []) AS sample_a
FROM r GROUP BY url;
"""


def validate(dataset: CrawlDataset) -> None:
    """Read every part's footer: a corrupted file, or one missing contract columns, fails here."""
    for table, schema in SCHEMAS.items():
        for part in dataset.parts(table):
            try:
                found = pq.read_schema(part)
            except (OSError, pa.ArrowException) as exc:
                raise CrawlDatasetError(
                    f"crawl {dataset.manifest.crawl_id}: {part} is not readable Parquet ({exc})",
                    hint="the file is corrupted; re-run the crawl (or `marketloop crawl --resume`)",
                ) from None
            missing = [name for name in schema.names if name not in found.names]
            if missing:
                raise CrawlDatasetError(
                    f"crawl {dataset.manifest.crawl_id}: {part} lacks columns {', '.join(missing)}",
                    hint="the dataset was written by another crawler version; crawl again",
                )


@contextmanager
def open_views(dataset: CrawlDataset, *, refs: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the dataset views and the audit helpers; errors name the crawl."""
    validate(dataset)
    con = duckdb.connect()
    try:
        with dataset_errors(dataset):
            dataset.connect(con)
            con.execute(MACROS)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE crawl AS SELECT ?::VARCHAR AS crawl_id, "
                "?::VARCHAR AS start_url",
                [dataset.manifest.crawl_id, dataset.manifest.start_url],
            )
            con.execute(HELPERS)
            if refs:
                con.execute(REFS)
            yield con
    finally:
        con.close()


@contextmanager
def dataset_errors(dataset: CrawlDataset) -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise CrawlDatasetError(
            f"cannot read crawl {dataset.manifest.crawl_id} in {dataset.folder}: {first_line}",
            hint="a part file may be truncated or corrupted; re-run the crawl",
        ) from None
