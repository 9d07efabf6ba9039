"""List mode (`crawl --list FILE`) crawls exactly the URLs given, at depth 0, following their
redirects; sitemap mode (`--sitemap-only`) crawls what the sitemaps list and follows no link."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.crawl.urllist import parse_url_list, read_url_list
from marketloop.errors import UsageError
from marketloop.sample import RunningSite

from .conftest import settings_for

pytestmark = pytest.mark.timeout(90)


def test_a_list_crawl_fetches_exactly_the_list_and_its_redirects(
    sample_site: RunningSite, sample_crawl: CrawlDataset, tmp_path: Path
) -> None:
    html = [r["url"] for r in sample_crawl.query(
        "SELECT url FROM pages WHERE status = 200 AND found_via = 'link' ORDER BY url LIMIT 3"
    )]  # fmt: skip
    moved = sample_crawl.query(
        "SELECT url, redirect_url FROM pages WHERE status = 301 AND redirect_url IS NOT NULL "
        "ORDER BY url LIMIT 1"
    )
    seeds = parse_url_list(
        "# landing pages\n\n" + "\n".join([*html, html[0], *(r["url"] for r in moved)])
    )
    folder = tmp_path / "list"
    run_crawl(seeds[0], folder, settings_for(sample_site, mode="list"), seeds=seeds)
    pages = CrawlDataset.open(folder).query("SELECT url, depth, found_via FROM pages")
    got = {p["url"]: p for p in pages}
    assert set(got) == {*seeds, *(r["redirect_url"] for r in moved)}
    assert {p["depth"] for p in pages} == {0}
    assert {got[u]["found_via"] for u in seeds} == {"list"}
    assert not CrawlDataset.open(folder).query("SELECT * FROM sitemaps")


def test_sitemap_only_follows_no_links(
    sample_site: RunningSite, sample_crawl: CrawlDataset, tmp_path: Path
) -> None:
    folder = tmp_path / "sitemap"
    run_crawl(sample_site.url, folder, settings_for(sample_site, mode="sitemap"))
    dataset = CrawlDataset.open(folder)
    vias = {r["found_via"] for r in dataset.query("SELECT DISTINCT found_via FROM pages")}
    assert "link" not in vias and "sitemap" in vias
    listed = {r["url"] for r in dataset.query("SELECT url FROM sitemap_urls")}
    crawled = {r["url"] for r in dataset.query("SELECT url FROM pages WHERE found_via = 'sitemap'")}
    assert crawled and crawled <= listed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://example.com/\nftp://example.com/x\n", "line 2: 'ftp://example.com/x' is not"),
        ("<script>alert(1)</script>", "line 1:"),
        ("# only a comment\n\n", "holds no URL"),
    ],
)
def test_a_bad_list_names_the_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_url_list(text, "urls.txt")
    assert message in str(caught.value)


def test_list_and_a_start_url_together_are_refused(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("https://example.com/\n")
    result = CliRunner().invoke(app, ["crawl", "https://example.com/", "--list", str(listing)])
    assert isinstance(result.exception, UsageError)
    assert "--list crawls the URLs of its file" in str(result.exception)
    result = CliRunner().invoke(app, ["crawl", "--list", str(tmp_path / "missing.txt")])
    assert isinstance(result.exception, UsageError)
    assert "cannot read the URL list" in str(result.exception)


def test_a_huge_list_file_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    """A line longer than any URL is refused without reading it whole; the rest of a file
    costs only its URLs (not a copy of the whole text)."""
    listing = tmp_path / "urls.txt"
    with listing.open("w") as file:
        file.write("https://example.com/a\n" + "x" * 20_000_000 + "\nhttps://example.com/b\n")
    tracemalloc.start()
    try:
        with pytest.raises(UsageError, match="line 2: a line of more than 8,192 characters"):
            read_url_list(listing)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    listing.write_text("\n".join(f"https://example.com/{i}" for i in range(3)) + "\n# end\n")
    assert read_url_list(listing) == [f"https://example.com/{i}" for i in range(3)]
