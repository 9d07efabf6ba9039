"""A crawl's pages, links and redirects keyed by URL, for looking one URL up fast.

Finding one URL's links in a crawl's part files means reading every link row (seconds at
100,000 pages). `lookup(dataset, url)` reads a per-crawl index instead: built once, on first
use, into `<crawl>/url-index/`, it holds the pages, the links by target (inlinks) and by
source (outlinks) and the redirects (a page's custom extractions in its pages row), each
split by a hash of its key URL into Parquet files of a few thousand rows, so one lookup opens
one small file per table whatever the crawl's size. The build sorts nothing in memory: DuckDB
partitions the rows under the audit's memory cap, spilling beyond it.

The index is stamped with the manifest (which a crawl rewrites at every committed batch) and
the DuckDB version (which defines the hash): a crawl that went on, or a newer DuckDB, gets a
fresh index. A new index is written beside the old one and renamed into place, so readers
never see half of one; two processes building at once each write their own, and one wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketloop.audit.config import AuditSettings
from marketloop.audit.views import capped_connection, dataset_errors
from marketloop.crawl.dataset import CrawlDataset
from marketloop.workspace import MANIFEST

if TYPE_CHECKING:
    import duckdb

INDEX = "url-index"
STAMP = "stamp.json"
VERSION = 2  # of the index layout; a change rebuilds every index (2: custom extractions)
ROWS_PER_FILE = 16_384  # links per hash bucket, about
MAX_BUCKETS = 2_048
HOPS = 10

#: a page's custom extractions ride along in its pages row (no second file to read per lookup)
PAGES = """(SELECT p.*, e.extracted FROM pages p LEFT JOIN (
    SELECT page_url AS url,
           list({'name': name, 'values': "values", 'matches': matches} ORDER BY name)
           AS extracted
    FROM extractions GROUP BY page_url) e USING (url))"""
#: file name: (source view, key column, columns kept)
TABLES = {
    "pages": (PAGES, "url", "*"),
    "inlinks": ("links", "to_url", "to_url, from_url, anchor, kind, nofollow"),
    "outlinks": ("links", "from_url", "from_url, to_url, anchor, kind, nofollow"),
    "redirects": ("redirects", "url", "url, status, location"),
}

Link = tuple[Any, ...]  # the other URL, anchor, kind, nofollow
Hop = tuple[str, int, str | None]  # URL, status, Location


@dataclass(frozen=True)
class Lookup:
    """One URL of a crawl: its `pages` row, up to `limit` links each way, its redirect chain
    and its custom extractions (rule name, values, matches; by name)."""

    page: dict[str, Any]
    inlinks: list[Link]
    outlinks: list[Link]
    hops: list[Hop]
    extracted: list[tuple[str, list[str], int]]


def lookup(
    dataset: CrawlDataset, url: str, *, limit: int, settings: AuditSettings | None = None
) -> Lookup | None:
    """The page at `url` with its links (by the other URL) and hops; None if not crawled."""
    index = url_index(dataset, settings)
    con = reader()
    try:
        found = index.rows(con, "pages", url, "*", limit=1)
        if not found:
            return None
        page = found[0]
        links = "{side}, anchor, kind, nofollow"
        inlinks = index.tuples(con, "inlinks", url, links.format(side="from_url"), limit)
        outlinks = index.tuples(con, "outlinks", url, links.format(side="to_url"), limit)
        hops = _hops(con, index, url)
    finally:
        con.close()
    fields = [tuple(f.values()) for f in page.pop("extracted", None) or []]
    return Lookup(page, inlinks, outlinks, hops, fields)


_shared: list[duckdb.DuckDBPyConnection] = []
_shared_lock = threading.Lock()


def reader() -> duckdb.DuckDBPyConnection:
    """A cursor on one in-memory DuckDB shared by the process (opening a connection costs
    tens of milliseconds, a cursor almost nothing); close it after use."""
    import duckdb

    with _shared_lock:
        if not _shared:
            _shared.append(duckdb.connect())
        return _shared[0].cursor()


@dataclass(frozen=True)
class UrlIndex:
    folder: Path
    buckets: int

    def _files(self, con: duckdb.DuckDBPyConnection, table: str, url: str) -> str | None:
        found = con.execute("SELECT hash(?::VARCHAR) % ?", [url, self.buckets]).fetchone()
        bucket = found[0] if found else 0
        folder = self.folder / table / f"bucket={bucket}"
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        # listed, not globbed by DuckDB: the workspace path may hold `[`, `*` or `?`
        return ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) or None

    def _select(
        self, con: duckdb.DuckDBPyConnection, table: str, url: str, columns: str, limit: int
    ) -> duckdb.DuckDBPyConnection | None:
        files = self._files(con, table, url)
        if files is None:
            return None
        key = TABLES[table][1]
        order = "" if table == "pages" else " ORDER BY ALL"  # a URL has one pages row
        return con.execute(
            f"SELECT {columns} FROM read_parquet([{files}], hive_partitioning = false) "
            f"WHERE {key} = ?{order} LIMIT ?",
            [url, limit],
        )

    def rows(
        self, con: duckdb.DuckDBPyConnection, table: str, url: str, columns: str, limit: int
    ) -> list[dict[str, Any]]:
        cursor = self._select(con, table, url, columns, limit)
        if cursor is None:
            return []
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def tuples(
        self, con: duckdb.DuckDBPyConnection, table: str, url: str, columns: str, limit: int
    ) -> list[tuple[Any, ...]]:
        cursor = self._select(con, table, url, columns, limit)
        return [] if cursor is None else cursor.fetchall()


def _hops(con: duckdb.DuckDBPyConnection, index: UrlIndex, url: str) -> list[Hop]:
    """The redirect chain starting at `url` (bounded; stops at a loop)."""
    chain: list[Hop] = []
    seen: set[str] = set()
    current: str | None = url
    while current and current not in seen and len(chain) < HOPS:
        seen.add(current)
        hop = index.tuples(con, "redirects", current, "status, location", 1)
        if not hop:
            break
        chain.append((current, hop[0][0], hop[0][1]))
        current = hop[0][1]
    return chain


_building = threading.Lock()


def url_index(dataset: CrawlDataset, settings: AuditSettings | None = None) -> UrlIndex:
    """The crawl's index, built (or rebuilt, when stale) first."""
    folder = dataset.folder / INDEX
    stamp = _stamp(dataset)
    found = _read(folder, stamp)
    if found is not None:
        return found
    with _building:  # one build per process; readers of a fresh index never wait
        found = _read(folder, stamp)
        if found is None:
            _build(dataset, folder, stamp, settings)
            found = _read(folder, stamp)
    if found is None:  # another process replaced it meanwhile with one for a newer manifest
        raise RuntimeError(f"the URL index of {dataset.folder} changed while it was built")
    return found


def _stamp(dataset: CrawlDataset) -> str:
    import duckdb

    manifest = (dataset.folder / MANIFEST).read_bytes()
    mark = hashlib.sha256(manifest).hexdigest()
    return f"{VERSION}:{duckdb.__version__}:{mark}"


def _read(folder: Path, stamp: str) -> UrlIndex | None:
    try:
        saved = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("stamp") != stamp:
        return None
    return UrlIndex(folder, int(saved["buckets"]))


def _build(dataset: CrawlDataset, target: Path, stamp: str, settings: AuditSettings | None) -> None:
    work = Path(tempfile.mkdtemp(prefix=f".{INDEX}-", dir=dataset.folder))
    try:
        with capped_connection(dataset, settings) as con, dataset_errors(dataset):
            dataset.connect(con)
            (links,) = con.execute("SELECT count(*) FROM links").fetchone() or (0,)
            buckets = _buckets(links)
            con.execute(f"SET partitioned_write_max_open_files = {buckets}")
            for name, (view, key, columns) in TABLES.items():
                plain = view == PAGES and not dataset.parts("extractions")
                source = "pages" if plain else view  # no custom extraction: rows as they are
                out = str(work / name).replace("'", "''")
                con.execute(
                    f"COPY (SELECT {columns}, hash({key}) % {buckets} AS bucket FROM {source}) "
                    f"TO '{out}' (FORMAT parquet, PARTITION_BY (bucket))"
                )
        (work / STAMP).write_text(json.dumps({"stamp": stamp, "buckets": buckets}), "utf-8")
        _swap(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _buckets(rows: int) -> int:
    """A power of two giving about ROWS_PER_FILE rows per bucket (at most MAX_BUCKETS)."""
    buckets = 1
    while buckets * ROWS_PER_FILE < rows and buckets < MAX_BUCKETS:
        buckets *= 2
    return buckets


def _swap(work: Path, target: Path) -> None:
    """Rename `work` to `target`, moving a stale `target` aside first (and removing it)."""
    old = target.with_name(f".{INDEX}-old-{uuid.uuid4().hex}")
    with contextlib.suppress(FileNotFoundError):
        target.rename(old)
    with contextlib.suppress(OSError):  # another process put its index there first: keep it
        work.rename(target)
    shutil.rmtree(old, ignore_errors=True)
