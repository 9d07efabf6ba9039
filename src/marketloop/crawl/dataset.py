"""Reading a crawl dataset (see `crawl/schema.py`), and its manifest.

`CrawlDataset.connect()` opens the dataset in DuckDB: one view per table, plus the views every
stage shares, so that "indexable" has one definition (see `INDEXABILITY` and docs/crawl.md):

    inlinks            per URL: pages linking to it with <a> (all, and followed only)
    page_indexability  every row of `pages`, plus `canonical_target` and `indexability`
    html_pages         internal URLs answering 200 with an HTML content type whose body parsed
    indexable_pages    the rows whose `indexability` is 'indexable' (all of them HTML pages)
    page_hreflang      per page URL: its hreflang alternates from the HTML, the Link header
                       and the sitemaps' xhtml:link entries, each pair once
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, ValidationError

from marketloop.crawl.schema import ADDED_COLUMNS, FORMAT_VERSION, SCHEMAS, TABLES
from marketloop.errors import CrawlDatasetError
from marketloop.workspace import MANIFEST

if TYPE_CHECKING:
    import duckdb

CrawlStatus = Literal["running", "finished", "interrupted", "failed"]

#: The one definition of an indexable page, in SQL over the `pages` view. `indexability` is the
#: first reason that applies, in this order (the response, then the directives, then the kind
#: of page), or 'indexable' when none does:
#:
#:     blocked_by_robots  robots.txt disallows the URL
#:     no_response        no HTTP response (`error` says why)
#:     redirect           3xx
#:     non_200            any other status but 200
#:     noindex            `noindex` or `none` in meta robots or X-Robots-Tag (any case); in
#:                        the header only for every crawler or for Googlebot: a directive after
#:                        `otherbot:` belongs to that crawler, up to the next user agent
#:     canonicalised      the canonical (<link rel=canonical>, else the Link header) is another URL
#:     external           not an internal URL
#:     not_html           a content type other than text/html or application/xhtml+xml
#:     unparsed           HTML whose body broke off or was too large (`error`) or could not
#:                        be parsed (`parse_error`)
#:
#: The macros are part of the definition and usable in any query over the connection.
INDEXABILITY = r"""
CREATE OR REPLACE MACRO is_html(ct) AS
    coalesce(ct IN ('text/html', 'application/xhtml+xml'), false);
CREATE OR REPLACE MACRO robots_none(v, sep) AS
    coalesce(regexp_matches(lower(v), '(^|[\s,' || sep || '])(noindex|none)($|[\s,])'), false);
CREATE OR REPLACE MACRO robots_tokens(v) AS
    [trim(t) for t in string_split(lower(coalesce(v, '')), ',')];
CREATE OR REPLACE MACRO robots_agent(token) AS CASE
    WHEN regexp_matches(token, '^(max-snippet|max-image-preview|max-video-preview'
                               || '|unavailable_after)\s*:') THEN NULL
    ELSE nullif(regexp_extract(token, '^([a-z0-9_.-]+)\s*:', 1), '') END;
CREATE OR REPLACE MACRO header_noindex(v) AS len([
    1 for t, i in robots_tokens(v)
    if regexp_matches(t, '^([a-z0-9_.-]+\s*:\s*)?(noindex|none)$')
       AND coalesce([a for a in [robots_agent(x) for x in robots_tokens(v)[1:i]]
                     if a IS NOT NULL][-1], 'googlebot') = 'googlebot'
]) > 0;
CREATE OR REPLACE MACRO is_noindex(meta, header) AS
    robots_none(meta, '') OR header_noindex(header);
CREATE OR REPLACE MACRO canonical_of(link, header) AS nullif(trim(coalesce(link, header)), '');

CREATE OR REPLACE VIEW page_indexability AS
SELECT *, CASE
    WHEN coalesce(blocked_by_robots, false) THEN 'blocked_by_robots'
    WHEN status IS NULL THEN 'no_response'
    WHEN status BETWEEN 300 AND 399 THEN 'redirect'
    WHEN status <> 200 THEN 'non_200'
    WHEN is_noindex(meta_robots, x_robots_tag) THEN 'noindex'
    WHEN canonical_target <> url THEN 'canonicalised'
    WHEN NOT coalesce(is_internal, false) THEN 'external'
    WHEN NOT is_html(content_type) THEN 'not_html'
    WHEN parse_error IS NOT NULL OR error IS NOT NULL THEN 'unparsed'
    ELSE 'indexable' END AS indexability
FROM (SELECT *, canonical_of(canonical, canonical_header) AS canonical_target FROM pages);

CREATE OR REPLACE VIEW html_pages AS
SELECT * FROM page_indexability
WHERE is_internal AND status = 200 AND is_html(content_type)
  AND NOT coalesce(blocked_by_robots, false) AND parse_error IS NULL AND error IS NULL;

CREATE OR REPLACE VIEW indexable_pages AS
SELECT * FROM page_indexability WHERE indexability = 'indexable';
"""


#: hreflang alternates per page, whatever declared them: `pages.hreflang` (the HTML and the Link
#: header) and the sitemaps' `<xhtml:link rel="alternate" hreflang>` entries of its <url>.
HREFLANG = """
CREATE OR REPLACE VIEW page_hreflang AS
SELECT url, list_distinct(flatten(list(hreflang))) AS hreflang
FROM (
    SELECT url, hreflang FROM pages WHERE len(hreflang) > 0
    UNION ALL
    SELECT url, hreflang FROM sitemap_urls WHERE len(hreflang) > 0
) GROUP BY url;
"""


class Manifest(BaseModel):
    format_version: int = FORMAT_VERSION
    crawl_id: str
    start_url: str
    status: CrawlStatus = "running"
    started_at: datetime
    finished_at: datetime | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)  # rows per table, URLs fetched, errors
    notes: list[str] = Field(default_factory=list)  # what a person should know (robots.txt, ...)
    tool_version: str = ""

    def write(self, folder: Path) -> None:
        """Write atomically (temp file + rename), so a kill never leaves half a manifest."""
        target = folder / MANIFEST
        tmp = target.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise CrawlDatasetError(
                f"{folder} is not a crawl dataset (no {MANIFEST})",
                hint="pass the folder `marketloop crawl --out` wrote",
            )
        try:
            manifest = cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError, RecursionError) as exc:
            first = " ".join(str(exc).split())[:300]
            raise CrawlDatasetError(f"malformed manifest in {folder}: {first}") from None
        if manifest.format_version > FORMAT_VERSION:
            raise CrawlDatasetError(
                f"{folder} has crawl format {manifest.format_version}; this marketloop reads "
                f"up to {FORMAT_VERSION}",
                hint="upgrade marketloop",
            )
        return manifest


@dataclass(frozen=True)
class CrawlDataset:
    folder: Path
    manifest: Manifest

    @classmethod
    def open(cls, folder: Path | str) -> CrawlDataset:
        path = Path(folder)
        return cls(path, Manifest.read(path))

    def parts(self, table: str) -> list[Path]:
        return sorted((self.folder / table).glob("part-*.parquet"))

    def connect(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection (in memory unless given) with one view per table, plus `inlinks`
        and the indexability views and macros (`INDEXABILITY`).

        Tables with no part files yet are empty views with the right columns, so every query
        works on a crawl that found no images or no sitemaps.
        """
        import duckdb  # only readers need it; the crawler writes without it

        con = con or duckdb.connect()
        for table in TABLES:
            parts = self.parts(table)
            files = ", ".join(f"'{_sql_path(p)}'" for p in parts)
            source = f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
            if not parts or _lacks_added_columns(table, parts[0]):
                empty = pa.Table.from_pylist([], schema=SCHEMAS[table])
                # a table, not a registered Arrow scan: that one is seen only by this
                # connection, and the audit's Python checks read the views on cursors
                con.register(f"_{table}_arrow", empty)
                con.execute(f"CREATE OR REPLACE TABLE _{table}_empty AS FROM _{table}_arrow")
                con.unregister(f"_{table}_arrow")
                parts_first = f"{source} UNION ALL BY NAME " if parts else ""
                source = f"{parts_first}SELECT * FROM _{table}_empty"
            con.execute(f"CREATE OR REPLACE VIEW {table} AS {source}")
        con.execute(INDEXABILITY)
        con.execute(HREFLANG)
        con.execute(
            """
            CREATE OR REPLACE VIEW inlinks AS
            SELECT to_url AS url,
                   count(DISTINCT from_url) AS inlinks,
                   count(DISTINCT from_url) FILTER (WHERE NOT nofollow) AS followed_inlinks
            FROM links WHERE kind = 'a' AND is_internal AND from_url <> to_url
            GROUP BY to_url
            """
        )
        return con

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with read_errors(self):
            con = self.connect()
            try:
                cursor = con.execute(sql, params or [])
                names = [d[0] for d in cursor.description or []]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                con.close()


@contextmanager
def read_errors(dataset: CrawlDataset) -> Iterator[None]:
    """A part file DuckDB cannot read (truncated, corrupted) as a CrawlDatasetError naming the
    crawl, whoever reads it (audit, keywords, ingest)."""
    import duckdb

    try:
        yield
    except (duckdb.Error, pa.ArrowException) as exc:  # Arrow: a part's schema read first
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise CrawlDatasetError(
            f"cannot read crawl {dataset.manifest.crawl_id} in {dataset.folder}: {first_line}",
            hint="a part file may be truncated or corrupted; re-run the crawl",
        ) from None


def _lacks_added_columns(table: str, first_part: Path) -> bool:
    """Whether a dataset predates columns added to `table` (its first part tells)."""
    added = ADDED_COLUMNS.get(table, frozenset())
    return bool(added) and not added <= set(pq.read_schema(first_part).names)


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")
