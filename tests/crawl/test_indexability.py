"""The one definition of an indexable page: the dataset views every stage reads
(`page_indexability`, `html_pages`, `indexable_pages`), against cases/indexability.yaml."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from marketloop.crawl.dataset import CrawlDataset, Manifest
from marketloop.crawl.schema import PAGES

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases" / "indexability.yaml").read_text(encoding="utf-8")
)
SITE = "https://example.com"


def page(n: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A clean internal HTML page answering 200, canonical to itself; `fields` override, and
    `/path` or `self` in the URL-valued fields become this page's site's URLs."""
    url = f"{SITE}/case-{n}"
    row: dict[str, Any] = {
        "url": url,
        "host": "example.com",
        "depth": 1,
        "found_via": "link",
        "is_internal": True,
        "blocked_by_robots": False,
        "status": 200,
        "content_type": "text/html",
        "titles": [f"Case {n}"],
        "canonical": url,
    }
    targets = {"self": url, "/other": f"{SITE}/other"}
    for key, value in fields.items():
        urlish = key in {"canonical", "canonical_header", "redirect_url"}
        row[key] = targets.get(value, value) if urlish else value
    return row


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> CrawlDataset:
    folder = tmp_path_factory.mktemp("indexability") / "crawl"
    (folder / "pages").mkdir(parents=True)
    rows = [page(n, case["page"]) for n, case in enumerate(CASES)]
    table = pa.Table.from_pylist(rows, schema=PAGES)
    pq.write_table(table, folder / "pages" / "part-00000.parquet")
    started = datetime(2025, 1, 15, tzinfo=UTC)
    Manifest(crawl_id="cases", start_url=SITE + "/", started_at=started).write(folder)
    return CrawlDataset.open(folder)


def urls(dataset: CrawlDataset, view: str) -> set[str]:
    return {row["url"] for row in dataset.query(f"SELECT url FROM {view}")}


@pytest.mark.parametrize("n", range(len(CASES)), ids=[c["name"] for c in CASES])
def test_case(dataset: CrawlDataset, n: int) -> None:
    case, url = CASES[n], f"{SITE}/case-{n}"
    reasons = dataset.query("SELECT indexability FROM page_indexability WHERE url = ?", [url])
    assert reasons == [{"indexability": case["reason"]}]
    assert (url in urls(dataset, "html_pages")) is case["html"]
    assert (url in urls(dataset, "indexable_pages")) is (case["reason"] == "indexable")


def test_every_page_has_one_reason_and_indexable_pages_are_html_pages(
    dataset: CrawlDataset,
) -> None:
    assert len(dataset.query("SELECT url FROM page_indexability")) == len(CASES)
    assert urls(dataset, "indexable_pages") <= urls(dataset, "html_pages")


def test_the_views_carry_the_pages_columns(dataset: CrawlDataset) -> None:
    row = dataset.query(
        "SELECT titles, canonical_target, indexability FROM indexable_pages WHERE url = ?",
        [f"{SITE}/case-0"],
    )
    assert row == [{"titles": ["Case 0"], "canonical_target": f"{SITE}/case-0",
                    "indexability": "indexable"}]  # fmt: skip


def test_a_dataset_without_pages_has_empty_views(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    Manifest(crawl_id="empty", start_url=SITE + "/", started_at=datetime.now(UTC)).write(folder)
    dataset = CrawlDataset.open(folder)
    for view in ("page_indexability", "html_pages", "indexable_pages"):
        assert urls(dataset, view) == set()
