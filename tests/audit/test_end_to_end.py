"""End to end: crawl the generated sample site, audit it, and compare with its ground truth.

Every `SeededDefect` must be found, and URLs the sample site leaves clean must raise nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import marketloop.sample as sample
from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import Audit, audit
from marketloop.crawl.config import CrawlSettings

FAST = {"retries": 1, "backoff": 0.05, "timeout": 3.0, "connect_timeout": 2.0, "parse_workers": 1}


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with sample.SampleSite(pages=60).serve() as running:
        yield running


@pytest.fixture(scope="module")
def audited(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    from marketloop.crawl.run import run_crawl

    folder: Path = tmp_path_factory.mktemp("e2e") / "crawl"
    run_crawl(site.url, folder, CrawlSettings(**{**site.crawl_overrides(), **FAST}))
    return audit(folder, AuditSettings())


def test_every_seeded_defect_is_found(site: Any, audited: Audit) -> None:
    found = {(i.check, i.url) for i in audited.issues}
    missing = sorted({(d.check, d.url) for d in site.defects} - found)
    assert missing == []


def test_clean_pages_raise_nothing(site: Any, audited: Audit) -> None:
    seeded = {d.url for d in site.defects}
    extra = sorted((i.check, i.url, i.detail) for i in audited.issues if i.url not in seeded)
    assert extra == []
