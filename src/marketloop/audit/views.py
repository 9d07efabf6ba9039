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

#: the heaviest helper (a pass over every link): only the checks need it, not the overview.
#: Referring pages are numbered in URL order first, so the groupings work on integers. Every
#: aggregate over all the links keeps a fixed-size state (counts, `bool_or`), which DuckDB spills
#: to disk past its memory limit (list aggregates such as `min(id, 3)` over every URL could not,
#: and ran out of memory at a million pages). The samples, the three first referring pages by
#: URL, are taken only for the URLs that are not indexable pages, the ones whose referrers the
#: checks name (errors, redirects, robots.txt blocks, non-HTML files such as images), through a
#: window and a pivot of at most three rows per URL and kind.
REFS = """
CREATE OR REPLACE TABLE ref_source AS
SELECT url AS from_url, row_number() OVER (ORDER BY url) AS id
FROM (SELECT from_url AS url FROM links UNION SELECT page_url FROM images);

CREATE OR REPLACE MACRO ref_edges() AS TABLE
  SELECT l.to_url AS url, s.id, l.kind = 'a' AS is_a
  FROM links l JOIN ref_source s USING (from_url) WHERE l.from_url <> l.to_url
  UNION ALL
  SELECT i.src, s.id, false FROM images i JOIN ref_source s ON s.from_url = i.page_url;

CREATE OR REPLACE TABLE ref_counts AS
SELECT url, count(*) AS n, count(*) FILTER (WHERE is_a) AS n_a
FROM (SELECT url, id, bool_or(is_a) AS is_a FROM ref_edges() GROUP BY ALL) GROUP BY url;

CREATE OR REPLACE TABLE refs AS
WITH sampled AS (
  SELECT url FROM page_state WHERE indexability IS DISTINCT FROM 'indexable'
), pair AS (
  SELECT url, id, bool_or(is_a) AS is_a FROM ref_edges() SEMI JOIN sampled USING (url)
  GROUP BY ALL
), ranked AS (
  SELECT url, id, is_a, row_number() OVER (PARTITION BY url ORDER BY id) AS k,
         row_number() OVER (PARTITION BY url, is_a ORDER BY id) AS k_a
  FROM pair
), named AS (
  SELECT r.url,
         min(s.from_url) FILTER (WHERE k = 1) AS s1, min(s.from_url) FILTER (WHERE k = 2) AS s2,
         min(s.from_url) FILTER (WHERE k = 3) AS s3,
         min(s.from_url) FILTER (WHERE is_a AND k_a = 1) AS a1,
         min(s.from_url) FILTER (WHERE is_a AND k_a = 2) AS a2,
         min(s.from_url) FILTER (WHERE is_a AND k_a = 3) AS a3
  FROM ranked r JOIN ref_source s USING (id)
  WHERE k <= 3 OR (is_a AND k_a <= 3)
  GROUP BY r.url
)
SELECT c.url, c.n,
       CASE WHEN named.url IS NOT NULL THEN [x FOR x IN [s1, s2, s3] IF x IS NOT NULL] END
         AS sample,
       c.n_a,
       CASE WHEN named.url IS NOT NULL THEN [x FOR x IN [a1, a2, a3] IF x IS NOT NULL] END
         AS sample_a
FROM ref_counts c LEFT JOIN named USING (url);

DROP TABLE ref_counts;
DROP TABLE ref_source;
DROP MACRO TABLE ref_edges;
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
            con.execute(REFS)
        yield con


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
