"""The latest crawl dataset as crawl.pages and crawl.issues (replaced on every load).

`crawl.pages` holds the scalar columns of the dataset's pages table (lists and maps stay in the
Parquet files), `simhash` as 16 hex digits (an unsigned 64-bit number fits no SQL integer type
everywhere), plus `crawl_id` and `indexable`: whether the page is in the dataset's `indexable_pages`
(internal, status 200, HTML, not blocked by robots.txt, parsed, no noindex/none in meta robots
or X-Robots-Tag, canonical absent or itself; the one definition, in `crawl/dataset.py`).

`crawl.issues` holds the rows `marketloop audit` wrote to DIR/issues.parquet. A dataset that
was not audited loads an empty issues table and says so, rather than keeping another crawl's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.schema import PAGES
from marketloop.errors import IngestError
from marketloop.ingest.stats import RunStats

ISSUE_COLUMNS = ("check", "severity", "url", "detail")
ISSUES = pa.schema(
    [pa.field("crawl_id", pa.string(), nullable=False)]
    + [pa.field(name, pa.string()) for name in ISSUE_COLUMNS]
)
BATCH_ROWS = 50_000
_NESTED = (pa.types.is_list, pa.types.is_map, pa.types.is_struct, pa.types.is_large_list)


def page_columns() -> list[str]:
    """The pages table's scalar columns, as SELECT expressions."""
    columns = []
    for field in PAGES:
        if any(test(field.type) for test in _NESTED):
            continue
        if field.name == "simhash":
            columns.append("lower(printf('%016x', simhash)) AS simhash")
        else:
            columns.append(f'"{field.name}"')
    return columns


#: the shared definition (crawl/dataset.py `page_indexability`), as a boolean
INDEXABLE = "indexability = 'indexable' AS indexable"


def page_batches(dataset: CrawlDataset, stats: RunStats) -> Iterator[pa.RecordBatch]:
    con = dataset.connect()
    try:
        columns = ", ".join(page_columns())
        sql = f"SELECT ? AS crawl_id, {columns}, {INDEXABLE} FROM page_indexability"
        reader = con.sql(sql, params=[dataset.manifest.crawl_id]).to_arrow_reader(BATCH_ROWS)
        for batch in reader or ():
            stats.page("pages", batch.num_rows)
            yield batch
    finally:
        con.close()


def issue_tables(dataset: CrawlDataset, path: Path, stats: RunStats) -> Iterator[pa.Table]:
    import duckdb

    crawl_id = dataset.manifest.crawl_id
    if not path.is_file():
        yield ISSUES.empty_table()
        return
    con = duckdb.connect()
    try:
        found = {
            row[0]
            for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        }
        missing = [c for c in ISSUE_COLUMNS if c not in found]
        if missing:
            raise IngestError(
                f"{path} lacks the column(s) {', '.join(missing)}",
                hint="re-run `marketloop audit` on the dataset with this marketloop version",
            )
        picked = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in ISSUE_COLUMNS)
        sql = f"SELECT ? AS crawl_id, {picked} FROM read_parquet(?)"
        table = con.sql(sql, params=[crawl_id, str(path)]).to_arrow_table()
    finally:
        con.close()
    issues = ISSUES.empty_table() if table is None else table.cast(ISSUES)
    stats.page("issues", issues.num_rows)
    yield issues


def crawl_source(folder: Path, stats: RunStats) -> tuple[Any, tuple[str, ...]]:
    """The dlt source replacing crawl.pages and crawl.issues, and what to tell the user."""
    import dlt

    dataset = CrawlDataset.open(folder)
    manifest = dataset.manifest
    notes = []
    if manifest.status != "finished":
        notes.append(f"crawl {manifest.crawl_id} is {manifest.status}: loading the pages it has")
    issues_path = folder / "issues.parquet"
    if not issues_path.is_file():
        notes.append(
            f"crawl {manifest.crawl_id} has not been audited, so crawl.issues is empty "
            f"(run `marketloop audit {folder}`, then load it again)"
        )

    @dlt.source(name="crawl", max_table_nesting=0)
    def source() -> Iterator[Any]:
        yield dlt.resource(page_batches(dataset, stats), name="pages", write_disposition="replace")
        yield dlt.resource(
            issue_tables(dataset, issues_path, stats), name="issues", write_disposition="replace"
        )

    return source(), tuple(notes)
