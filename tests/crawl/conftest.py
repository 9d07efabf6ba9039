"""Fixtures of the crawler tests: the sample site served once, and crawls of it made once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.sample import RunningSite, SampleSite

FAST = {"retries": 1, "backoff": 0.05, "timeout": 3.0, "connect_timeout": 2.0, "parse_workers": 1}


def settings_for(site: RunningSite, **overrides: Any) -> CrawlSettings:
    return CrawlSettings(**{**site.crawl_overrides(), **FAST, **overrides})


@pytest.fixture(scope="session")
def sample_site() -> Iterator[RunningSite]:
    with SampleSite(pages=60).serve() as site:
        yield site


@pytest.fixture(scope="session")
def sample_crawl(
    sample_site: RunningSite, tmp_path_factory: pytest.TempPathFactory
) -> CrawlDataset:
    folder = tmp_path_factory.mktemp("crawls") / "sample"
    run_crawl(sample_site.url, folder, settings_for(sample_site))
    return CrawlDataset.open(folder)


@pytest.fixture(scope="session")
def hostile_site() -> Iterator[RunningSite]:
    with SampleSite(pages=20, defects=False, hostile=True).serve() as site:
        yield site


@pytest.fixture(scope="session")
def hostile_crawl(
    hostile_site: RunningSite, tmp_path_factory: pytest.TempPathFactory
) -> CrawlDataset:
    folder = tmp_path_factory.mktemp("crawls") / "hostile"
    settings = settings_for(hostile_site, timeout=1.5, max_body_bytes=1024 * 1024, max_redirects=8)
    run_crawl(hostile_site.url, folder, settings)
    return CrawlDataset.open(folder)


def rows(dataset: CrawlDataset, sql: str) -> list[dict[str, Any]]:
    return dataset.query(sql)


def by_url(dataset: CrawlDataset) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in dataset.query("SELECT * FROM pages")}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "crawl"
