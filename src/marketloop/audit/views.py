"""The audit's view of a crawl dataset: a checked DuckDB connection plus shared helper tables.

`open_views(dataset)` validates every Parquet part (a corrupted or foreign file is a clear
`CrawlDatasetError` naming it), opens the dataset views (`crawl.dataset`: the tables, `inlinks`,
and the one definition of indexability: `page_indexability`, `html_pages`, `indexable_pages`
and the macros is_html, is_noindex, robots_none, header_noindex, canonical_of), and adds what
many checks share, computed once per audit:

    page_state        every URL of `pages` with its `indexability` and the audit's `blocker`
    refs              per URL: how many pages refer to it (`n`: any link or <img>; `n_a`: <a>
                      links only) and, for URLs that are not indexable pages, the first three
                      of them by URL (`sample`, `sample_a`; NULL for indexable pages); skipped
                      with `refs=False` (the report overview needs no link pass)
    in_sitemap        URLs listed in a urlset sitemap, with one sitemap naming them
    rendered_pages    the rendered HTML pages (`crawl --render js`) with the columns the
                      JavaScript checks compare; empty, without reading a file, for a crawl
                      made without rendering
    crawl             one row: the crawl id and start URL from the manifest
    macros            blocker, texts, first_text, plural, sample_text, linked_from

`blocker` is the shared `indexability` reason in words ('redirects (HTTP 301) to …'), for the
reasons that belong to the URL's response and directives; it is NULL for an indexable page and
for a URL that is only not an (internal, parsed) HTML page: the audit judges a PDF or an image
answering 200 without directives as fine to list in a sitemap or to point a canonical at, and
the `html` column tells the kinds apart.

Any DuckDB error while the checks run (a truncated part file, a missing column) is turned into
a `CrawlDatasetError` that names the dataset.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from marketloop.audit.config import AuditSettings
from marketloop.crawl.dataset import CrawlDataset, read_errors
from marketloop.crawl.schema import ADDED_COLUMNS, SCHEMAS
from marketloop.errors import AuditError, CrawlDatasetError

MACROS = r"""
CREATE OR REPLACE MACRO texts(items) AS
    [x for x in coalesce(items, []) if trim(x) <> ''];
CREATE OR REPLACE MACRO first_text(items) AS trim(texts(items)[1]);
CREATE OR REPLACE MACRO plural(n, word) AS
    n || ' ' || word || CASE WHEN n = 1 THEN '' ELSE 's' END;
CREATE OR REPLACE MACRO sample_text(items, total) AS array_to_string(items, ', ')
    || CASE WHEN total > len(items) THEN ' (+' || (total - len(items)) || ' more)' ELSE '' END;
CREATE OR REPLACE MACRO blocker(indexability, status, error, redirect_url, canonical) AS
    CASE indexability
         WHEN 'blocked_by_robots' THEN 'blocked by robots.txt'
         WHEN 'no_response' THEN 'no response (' || coalesce(error, 'unknown error') || ')'
         WHEN 'redirect'
           THEN 'redirects (HTTP ' || status || ') to ' || coalesce(redirect_url, 'nowhere')
         WHEN 'non_200' THEN 'HTTP ' || status
         WHEN 'noindex' THEN 'noindex'
         WHEN 'canonicalised' THEN 'canonicalised to ' || canonical
       END;
CREATE OR REPLACE MACRO linked_from(n, sample) AS CASE WHEN coalesce(n, 0) = 0
    THEN 'not linked from any crawled page'
    ELSE 'linked from ' || plural(n, 'page') || ': ' || sample_text(sample, n) END;
"""

HELPERS = """
CREATE OR REPLACE TABLE page_state AS
SELECT url, is_internal, status, depth, found_via, is_html(content_type) AS html,
       canonical_target, indexability,
       blocker(indexability, status, error, redirect_url, canonical_target) AS blocker
FROM page_indexability;

CREATE OR REPLACE TABLE in_sitemap AS
SELECT url, min(sitemap_url) AS sitemap FROM sitemap_urls GROUP BY url;
"""

#: what the JavaScript checks compare (audit/checks/javascript.py), read once for all of them;
#: `LIMIT 0` on a crawl made without --render js, so that they cost nothing there
RENDERED = """
CREATE OR REPLACE TABLE rendered_pages AS
SELECT url, titles, raw_titles, meta_descriptions, raw_meta_descriptions, canonical,
       raw_canonical, meta_robots, raw_meta_robots, x_robots_tag, outlinks_internal,
       raw_outlinks_internal, word_count, raw_word_count, js_errors, blocked_requests, h1, raw_h1
FROM html_pages WHERE rendered {limit};
"""

#: the heaviest helper (every link and <img>): only the checks need it, not the overview.
#: `REF_GROUPS` reads `links` and `images` once, keeps their edges (target `url`, referring page
#: `ref`) with a 64-bit key for each URL (`ref_key`, a hash), and groups them four ways (`part`):
#:
#:     count     per target key `h`, the distinct (target, referring page) pairs: `n`, and `n_a`
#:               those with an <a> link; grouped on the two keys, 16 bytes a pair, not on URLs
#:     target    each distinct target URL, with its key `h`
#:     referrers one row: how many distinct referring pages (`n`), and distinct keys (`n_a`)
#:     sample    the pairs into URLs that are not indexable pages, with both URLs: the referrers
#:               the checks name (errors, redirects, robots.txt blocks, non-HTML files) are few,
#:               so their samples, the first three by URL, are ranked afterwards
#:
#: Keys count pairs exactly only if no two target URLs, and no two referring pages, share a hash:
#: `REF_KEYS_UNIQUE` checks that after `REFS`, and if they do, `open_refs` makes them again
#: keyed on the URLs themselves (`REF_KEY_EXACT`: the same results, slower).
#: Measured at a million pages (docs/audit.md, "Scale"): numbering the referring pages in URL
#: order first (a sort and a join of every link) and grouping (URL, number) pairs, once for the
#: counts and again for the samples, cost twice the CPU. Every aggregate over all the edges keeps
#: a fixed-size state, which DuckDB spills past its memory limit (list aggregates over every URL
#: could not, and ran out of memory at a million pages).
REF_KEY_HASH = "CREATE OR REPLACE MACRO ref_key(s) AS hash(s)"
REF_KEY_EXACT = "CREATE OR REPLACE MACRO ref_key(s) AS s"

REF_GROUPS = """
CREATE OR REPLACE TEMP TABLE ref_groups AS
WITH edge AS MATERIALIZED (
  SELECT url, ref, is_a, ref_key(url) AS h, ref_key(ref) AS f,
         ref_key(url) IN (SELECT ref_key(url) FROM page_state
                          WHERE indexability IS DISTINCT FROM 'indexable') AS sampled
  FROM (
    SELECT to_url AS url, from_url AS ref, kind = 'a' AS is_a FROM links
    WHERE from_url <> to_url
    UNION ALL
    SELECT src, page_url, false FROM images WHERE page_url IS NOT NULL
  )
)
SELECT 'count' AS part, h, NULL AS url, NULL AS ref, NULL::BOOLEAN AS is_a, count(*) AS n,
       count(*) FILTER (WHERE is_a) AS n_a
FROM (SELECT h, f, bool_or(is_a) AS is_a FROM edge GROUP BY h, f) GROUP BY h
UNION ALL
SELECT 'target', ref_key(url), url, NULL, NULL, NULL, NULL FROM (SELECT DISTINCT url FROM edge)
UNION ALL
SELECT 'referrers', NULL, NULL, NULL, NULL, count(*), count(DISTINCT ref_key(ref))
FROM (SELECT DISTINCT ref FROM edge)
UNION ALL
SELECT 'sample', NULL, url, ref, bool_or(is_a), NULL, NULL FROM edge WHERE sampled
GROUP BY url, ref;
"""

#: whether `ref_key` told the referring pages apart (as many keys as pages) and the target URLs
#: (each counted key joined one target URL in `refs`)
REF_KEYS_UNIQUE = """
SELECT (SELECT n = n_a FROM ref_groups WHERE part = 'referrers')
   AND (SELECT count(*) FROM refs) = (SELECT count(*) FROM ref_groups WHERE part = 'count')
"""

REFS = """
CREATE OR REPLACE TABLE refs AS
WITH counts AS (
  SELECT h, n, n_a FROM ref_groups WHERE part = 'count'
), target AS (
  SELECT h, url FROM ref_groups WHERE part = 'target'
), pair AS (
  SELECT url, ref, is_a FROM ref_groups
  WHERE part = 'sample'
    AND url IN (SELECT url FROM page_state WHERE indexability IS DISTINCT FROM 'indexable')
), ranked AS (
  SELECT url, ref, is_a, row_number() OVER (PARTITION BY url ORDER BY ref) AS k,
         row_number() OVER (PARTITION BY url, is_a ORDER BY ref) AS k_a
  FROM pair
), named AS (
  SELECT url,
         min(ref) FILTER (WHERE k = 1) AS s1, min(ref) FILTER (WHERE k = 2) AS s2,
         min(ref) FILTER (WHERE k = 3) AS s3,
         min(ref) FILTER (WHERE is_a AND k_a = 1) AS a1,
         min(ref) FILTER (WHERE is_a AND k_a = 2) AS a2,
         min(ref) FILTER (WHERE is_a AND k_a = 3) AS a3
  FROM ranked WHERE k <= 3 OR (is_a AND k_a <= 3)
  GROUP BY url
)
SELECT t.url, c.n,
       CASE WHEN named.url IS NOT NULL THEN [x FOR x IN [s1, s2, s3] IF x IS NOT NULL] END
         AS sample,
       c.n_a,
       CASE WHEN named.url IS NOT NULL THEN [x FOR x IN [a1, a2, a3] IF x IS NOT NULL] END
         AS sample_a
FROM counts c JOIN target t ON c.h IS NOT DISTINCT FROM t.h LEFT JOIN named USING (url);
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
            optional = ADDED_COLUMNS.get(table, frozenset())
            missing = [n for n in schema.names if n not in found.names and n not in optional]
            if missing:
                raise CrawlDatasetError(
                    f"crawl {dataset.manifest.crawl_id}: {part} lacks columns {', '.join(missing)}",
                    hint="the dataset was written by another crawler version; crawl again",
                )


@contextmanager
def open_views(
    dataset: CrawlDataset, *, refs: bool = True, settings: AuditSettings | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the dataset views and the audit helpers; errors name the crawl.

    Memory is capped by `settings.memory_limit`; beyond it DuckDB spills to a temporary folder
    in `settings.spill_dir` (default: the folder holding the crawl folder), removed on exit."""
    validate(dataset)
    with capped_connection(dataset, settings) as con, dataset_errors(dataset):
        dataset.connect(con)
        con.execute(MACROS)
        con.execute(
            "CREATE OR REPLACE TABLE crawl AS SELECT ?::VARCHAR AS crawl_id, "
            "?::VARCHAR AS start_url",
            [dataset.manifest.crawl_id, dataset.manifest.start_url],
        )
        con.execute(HELPERS)
        rendered = dataset.manifest.settings.get("render") == "js"
        con.execute(RENDERED.format(limit="" if rendered else "LIMIT 0"))
        if refs:
            open_refs(con)
        yield con


def open_refs(con: duckdb.DuckDBPyConnection) -> None:
    """Make `refs`: one pass keyed on URL hashes, again on the URLs if two hashes collided."""
    con.execute(REF_KEY_HASH)
    con.execute(REF_GROUPS)
    con.execute(REFS)
    row = con.execute(REF_KEYS_UNIQUE).fetchone()
    if not (row and row[0]):
        con.execute(REF_KEY_EXACT)
        con.execute(REF_GROUPS)
        con.execute(REFS)
    con.execute("DROP TABLE ref_groups; DROP MACRO ref_key")


@contextmanager
def capped_connection(
    dataset: CrawlDataset, settings: AuditSettings | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A bare DuckDB connection capped at `settings.memory_limit`, spilling to a temporary
    folder in `settings.spill_dir` (default: the folder holding the crawl folder)."""
    settings = settings or AuditSettings()
    with (
        _spill_dir(settings.spill_dir or dataset.folder.parent) as spill,
        _connect(settings.memory_limit, spill) as con,
    ):
        yield con


@contextmanager
def _connect(memory_limit: str, spill: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    config = {
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": False,  # lets big sorts and joins stream and spill
    }
    con = duckdb.connect(config=config)  # type: ignore[arg-type]
    try:
        # each check reading `links` would read its parts' footers again (15,000 parts at a
        # million pages); set here, as `config` is applied before the Parquet reader loads
        con.execute("SET parquet_metadata_cache = true")
        yield con
    finally:
        con.close()


@contextmanager
def _spill_dir(root: Path) -> Iterator[Path]:
    try:
        root.mkdir(parents=True, exist_ok=True)
        folder = tempfile.TemporaryDirectory(prefix=".audit-spill-", dir=root)
    except OSError as exc:
        raise AuditError(
            f"cannot make a spill folder in {root}: {exc.strerror or exc}",
            hint="set audit.spill_dir to a writable folder with free space",
        ) from None
    with folder as path:
        yield Path(path)


@contextmanager
def dataset_errors(dataset: CrawlDataset) -> Iterator[None]:
    """`read_errors`, with DuckDB running out of memory named as such (not as a bad part)."""
    with read_errors(dataset):
        try:
            yield
        except duckdb.OutOfMemoryException as exc:
            raise out_of_memory(dataset, exc) from None


def out_of_memory(dataset: CrawlDataset, exc: duckdb.Error, doing: str = "auditing") -> AuditError:
    """The error for DuckDB out of memory while `doing` (a verb phrase before "crawl ID")."""
    return AuditError(
        f"{doing} crawl {dataset.manifest.crawl_id} ran out of DuckDB memory: "
        f"{str(exc).splitlines()[0]}",
        hint="raise audit.memory_limit, or free disk space in audit.spill_dir for spilling",
    )
