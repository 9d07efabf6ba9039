"""Fixtures of the keyword stage: a small crawl dataset and a warehouse with Search Console
rows, both written in the contract shapes (crawl/schema.py, the warehouse's gsc table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import PAGES

SITE = "https://www.loopmetrics.example"

PageSpec = tuple[str, str, str]  # (path, title, h1)
GscRow = tuple[str, str, int]  # (query, page path, impressions)


def write_crawl(folder: Path, pages: Sequence[PageSpec], status: int = 200) -> Path:
    (folder / "pages").mkdir(parents=True)
    rows = [
        {
            "url": SITE + path,
            "host": "www.loopmetrics.example",
            "depth": 1,
            "found_via": "link",
            "is_internal": True,
            "blocked_by_robots": False,
            "status": status,
            "content_type": "text/html",
            "titles": [title],
            "h1": [h1],
        }
        for path, title, h1 in pages
    ]
    pq.write_table(
        pa.Table.from_pylist(rows, schema=PAGES), folder / "pages" / "part-00000.parquet"
    )
    Manifest(
        crawl_id=folder.name,
        start_url=SITE + "/",
        status="finished",
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
    ).write(folder)
    return folder


def write_warehouse(path: Path, rows: Sequence[GscRow]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA gsc")
    con.execute(
        """CREATE TABLE gsc.search_analytics (
            site_url VARCHAR, search_type VARCHAR, date DATE, query VARCHAR, page VARCHAR,
            country VARCHAR, device VARCHAR, clicks BIGINT, impressions BIGINT, ctr DOUBLE,
            position DOUBLE, data_state VARCHAR, _dlt_load_id VARCHAR, _dlt_id VARCHAR)"""
    )
    for n, (query, page, impressions) in enumerate(rows):
        for day in (1, 2):  # two days, two devices: the reader must sum them
            con.execute(
                "INSERT INTO gsc.search_analytics VALUES "
                "(?, 'web', ?, ?, ?, 'usa', ?, ?, ?, 0.05, ?, 'final', '1', ?)",
                [
                    "sc-domain:loopmetrics.example",
                    date(2025, 1, day),
                    query,
                    SITE + page,
                    "DESKTOP" if day == 1 else "MOBILE",
                    impressions // 40,
                    impressions // 2,
                    4.0 + day,
                    f"{n}-{day}",
                ],
            )
    con.close()
    return path


@pytest.fixture
def crawl_dir(tmp_path: Path) -> Callable[[Sequence[PageSpec]], Path]:
    def make(pages: Sequence[PageSpec]) -> Path:
        return write_crawl(tmp_path / "crawls" / "site-20250101T000000Z", pages)

    return make
