"""--resume after `kill -9`: no finished URL is fetched again, no stored row is lost or doubled,
and the totals equal those of an uninterrupted crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketloop.crawl.dataset import CrawlDataset, Manifest
from marketloop.crawl.run import run_crawl
from marketloop.errors import CrawlError
from marketloop.sample import RunningSite

from .conftest import settings_for

SRC = Path(__file__).resolve().parents[2] / "src"
TABLES = ("pages", "links", "images", "redirects", "sitemaps", "sitemap_urls")
pytestmark = pytest.mark.timeout(120)


def committed_urls(folder: Path) -> set[str]:
    batches = Manifest.read(folder).counts.get("batches", 0)
    urls: set[str] = set()
    for part in (folder / "pages").glob("part-*.parquet"):
        if int(part.stem.split("-")[1]) <= batches:
            urls.update(pq.read_table(part, columns=["url"]).column(0).to_pylist())
    return urls


def start_killable_crawl(site: RunningSite, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MARKETLOOP_CRAWL_CA_FILE": str(site.ca_file)}
    env |= {"MARKETLOOP_CRAWL_BATCH_ROWS": "20", "MARKETLOOP_CRAWL_PARSE_WORKERS": "1"}
    command = [
        sys.executable,
        "-m",
        "marketloop",
        "crawl",
        site.url,
        "--out",
        str(folder),
        "--max-rps",
        "40",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("pages_before_kill", [25, 45])
def test_kill_9_then_resume_equals_an_uninterrupted_crawl(
    sample_site: RunningSite, sample_crawl: CrawlDataset, tmp_path: Path, pages_before_kill: int
) -> None:
    """Killed at points chosen by events: the site answers `pages_before_kill` pages and holds
    the next; the kill comes once the crawler waits on a held page. Whatever it committed by
    then (its flush policy decides: by size or by time), resume must end where an
    uninterrupted crawl ends, fetching no committed URL again."""
    site, folder = sample_site, tmp_path / "killed"
    site.hold_pages_after(pages_before_kill)
    try:
        crawler = start_killable_crawl(site, folder)
        deadline = time.monotonic() + 90  # a safety net for a broken run, not the trigger
        while not site.held:
            assert crawler.poll() is None, "the crawl ended before the kill point"
            assert time.monotonic() < deadline, "the crawl never reached the kill point"
            time.sleep(0.02)
        os.kill(crawler.pid, signal.SIGKILL)
        crawler.wait()
    finally:
        site.hold_pages_after(None)
    killed = Manifest.read(folder)
    assert killed.status == "running"  # killed, not finished
    before = committed_urls(folder)
    hits_before = Counter(site.hits)
    assert len(before) < len(sample_crawl.query("SELECT url FROM pages"))  # killed mid-way

    resumed = run_crawl(site.url, folder, settings_for(site), resume=True)
    assert resumed.manifest.status == "finished"
    refetched = {u for u in before if site.hits[_path(u)] != hits_before[_path(u)]}
    assert refetched == set(), "finished URLs were fetched again"

    got, want = CrawlDataset.open(folder), sample_crawl  # the uninterrupted crawl of the same site
    urls = [r["url"] for r in got.query("SELECT url FROM pages")]
    assert len(urls) == len(set(urls)), "a URL has two rows"
    assert set(urls) == {r["url"] for r in want.query("SELECT url FROM pages")}
    for table in TABLES:
        count = f"SELECT count(*) AS n FROM {table}"
        assert got.query(count) == want.query(count), table
        assert resumed.manifest.counts[table] == want.manifest.counts[table], table
    assert got.query(
        "SELECT count(DISTINCT from_url || to_url || kind) AS n FROM links"
    ) == want.query("SELECT count(DISTINCT from_url || to_url || kind) AS n FROM links")
    assert found_at(got) == found_at(want)  # a resumed crawl keeps breadth-first order


def test_resume_refuses_what_it_cannot_resume(sample_site: RunningSite, tmp_path: Path) -> None:
    site = sample_site

    with pytest.raises(CrawlError, match="nothing to resume"):
        run_crawl(site.url, tmp_path / "empty", settings_for(site), resume=True)
    done = run_crawl(site.url, tmp_path / "done", settings_for(site, max_urls=5))
    with pytest.raises(CrawlError, match="already holds a crawl"):
        run_crawl(site.url, done.folder, settings_for(site))
    with pytest.raises(CrawlError, match="is a crawl of"):
        run_crawl(site.plain_url, done.folder, settings_for(site), resume=True)
    with pytest.raises(CrawlError, match="finished crawl"):
        run_crawl(site.url, done.folder, settings_for(site), resume=True)
    assert not (done.folder / "state").exists()  # a finished crawl drops its resume state


def _path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path)


def test_ctrl_c_stops_cleanly_and_the_crawl_resumes(
    sample_site: RunningSite, sample_crawl: CrawlDataset, tmp_path: Path
) -> None:
    folder = tmp_path / "interrupted"
    crawler = start_killable_crawl(sample_site, folder)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not committed_urls_or_empty(folder):
        time.sleep(0.02)
    crawler.send_signal(signal.SIGINT)
    assert crawler.wait(timeout=30) == 130
    stopped = Manifest.read(folder)
    assert stopped.status == "interrupted"
    assert stopped.counts["urls"] == len(committed_urls(folder)) > 0  # every finished URL kept
    resumed = run_crawl(sample_site.url, folder, settings_for(sample_site), resume=True)
    assert resumed.manifest.status == "finished"
    assert found_at(CrawlDataset.open(folder)) == found_at(sample_crawl)


def found_at(dataset: CrawlDataset) -> dict[str, tuple[int | None, str]]:
    """Every URL with its depth and found_via."""
    rows = dataset.query("SELECT url, depth, found_via FROM pages")
    return {r["url"]: (r["depth"], r["found_via"]) for r in rows}


def committed_urls_or_empty(folder: Path) -> set[str]:
    return committed_urls(folder) if (folder / "manifest.json").is_file() else set()
