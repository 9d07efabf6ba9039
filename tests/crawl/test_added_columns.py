"""Columns added to the crawl format without a version change (`schema.ADDED_COLUMNS`): a
dataset written before them still opens, reads them as null, and passes the audit's checks."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.crawl.schema import ADDED_COLUMNS

from .static_site import serve

pytestmark = pytest.mark.timeout(60)


def test_a_dataset_without_the_added_columns_reads_them_as_null(tmp_path: Path) -> None:
    pages = {
        "/": ("text/html", '<html><head><title>Home</title></head><body><a href="/b">b</a>'),
        "/b": ("text/html", "<html><head><title>B</title></head><body>b</body></html>"),
    }
    folder = tmp_path / "old"
    with serve(pages) as site:
        pages["/sitemap.xml"] = (
            "application/xml",
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"<url><loc>{site.url}b</loc></url></urlset>",
        )
        run_crawl(site.url, folder, CrawlSettings(parse_workers=0, retries=0))
    for table, added in ADDED_COLUMNS.items():  # as an older marketloop wrote it
        for part in folder.glob(f"{table}/part-*.parquet"):
            data = pq.read_table(part)
            pq.write_table(data.drop_columns([c for c in added if c in data.column_names]), part)
    dataset = CrawlDataset.open(folder)
    assert dataset.query("SELECT count(*) AS n FROM links WHERE original_url IS NULL") == [{"n": 1}]
    assert dataset.query("SELECT hreflang FROM sitemap_urls") == [{"hreflang": None}]
    assert {r["rendered"] for r in dataset.query("SELECT rendered FROM pages")} == {None}
    assert dataset.query("SELECT * FROM page_hreflang") == []
    result = audit(dataset, AuditSettings(), save=False)  # every check runs on it
    assert "hreflang_broken" not in {i.check for i in result.issues}
