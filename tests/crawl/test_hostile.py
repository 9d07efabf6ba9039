"""Bad input (issue 2): every hostile case gets a recorded status or error, never a crash or a
hang, and the crawl goes on to finish."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.sample import RunningSite

from .conftest import by_url, settings_for

pytestmark = pytest.mark.timeout(90)

HOSTILE = [
    # path, status, error, what else must hold
    ("malformed/", 200, None, lambda r: r["titles"] == ["Broken <b>markup"]),
    ("wrong-charset/", 200, None, lambda r: "\ufffd" in r["titles"][0]),
    (  # no declaration, not UTF-8: windows-1252, as browsers decode it
        "no-charset/",
        200,
        None,
        lambda r: r["charset"] == "cp1252" and r["titles"] == ["Smart “quotes” – and dashes"],
    ),
    ("binary/", 200, None, lambda r: r["parse_error"] == "binary content served as HTML"),
    ("huge/", 200, "too_large", lambda r: 1024 * 1024 <= r["size"] < 2 * 1024 * 1024),
    ("drip/", 200, "timeout", lambda r: r["response_time_ms"] < 5000),
    ("reset/", None, "connection_reset", lambda r: r["size"] is None),
    ("garbage/", None, "invalid_response", lambda r: True),
    ("bad-gzip/", 200, "payload_error", lambda r: True),
    ("rate-limited/", 200, None, lambda r: r["titles"]),  # 429 + Retry-After, then retried
    ("empty/", 200, None, lambda r: r["titles"] == [] and r["word_count"] == 0),
    ("loop/", 301, "redirect_loop", lambda r: r["redirect_url"] == r["url"]),
    ("redirect/8/", 302, "too_many_redirects", lambda r: True),
    ("caf%C3%A9/", 200, None, lambda r: r["titles"]),
    ("caf%C3%A9/?q=%C3%A4%20b", 200, None, lambda r: True),
    ("protocol-relative/", 200, None, lambda r: True),
    ("Upper/", 200, None, lambda r: True),
]


def test_crawl_of_a_hostile_site_finishes(hostile_crawl: CrawlDataset) -> None:
    assert hostile_crawl.manifest.status == "finished"


@pytest.mark.parametrize(("path", "status", "error", "check"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_each_hostile_case_is_recorded(
    hostile_site: RunningSite,
    hostile_crawl: CrawlDataset,
    path: str,
    status: int | None,
    error: str | None,
    check,
) -> None:  # type: ignore[no-untyped-def]
    row = by_url(hostile_crawl)[hostile_site.url + "hostile/" + path]
    assert (row["status"], row["error"]) == (status, error)
    assert check(row)


def test_endless_redirects_stop_at_the_limit(
    hostile_site: RunningSite, hostile_crawl: CrawlDataset
) -> None:
    hops = hostile_crawl.query("SELECT url FROM pages WHERE url LIKE '%/hostile/redirect/%'")
    assert len(hops) == 8  # max_redirects=8: hop 8 is recorded as endless, 9 is never fetched


def test_awkward_links_resolve(hostile_site: RunningSite, hostile_crawl: CrawlDataset) -> None:
    links = hostile_crawl.query(
        "SELECT to_url FROM links WHERE from_url = ? AND kind = 'a'",
        [hostile_site.url + "hostile/links/"],
    )
    targets = {link["to_url"] for link in links}
    base = hostile_site.url
    assert {
        base + "pricing/",
        base + "hostile/protocol-relative/",
        base + "docs/",
        base + "hostile/caf%C3%A9/",
        base + "hostile/Upper/",
        "http://xn--bcher-kva.example/",
    } <= targets
    assert not any("#" in t or t.startswith(("javascript", "mailto")) for t in targets)


def test_invalid_robots_and_sitemaps_on_a_second_host(
    hostile_site: RunningSite, tmp_path: Path
) -> None:
    result = run_crawl(hostile_site.second_url, tmp_path / "second", settings_for(hostile_site))
    dataset = CrawlDataset.open(result.folder)
    assert result.manifest.status == "finished"
    assert {r["url"] for r in dataset.query("SELECT url FROM pages")} == {
        hostile_site.second_url,
        hostile_site.second_url + "a/",
    }
    sitemaps = {
        r["sitemap_url"].rsplit("/", 1)[1]: r for r in dataset.query("SELECT * FROM sitemaps")
    }
    assert sitemaps["sitemap-html.xml"]["kind"] == "invalid"
    assert "truncated" in sitemaps["sitemap-truncated.xml.gz"]["error"]
    assert sitemaps["sitemap-missing.xml"]["error"] == "HTTP 404"
    bad_gzip = sitemaps["sitemap-bad-gzip.xml"]  # a 2xx keeps the error of its broken body
    assert (bad_gzip["status"], bad_gzip["error"]) == (200, "payload_error")
    broken = sitemaps["sitemap-broken.xml"]
    assert (
        broken["kind"] == "urlset" and broken["url_count"] == 1 and "malformed" in broken["error"]
    )


BROKEN_BODIES = ("huge/", "drip/", "bad-gzip/")  # 200, then the body broke off or was too large
CONTENT_CHECKS = {"missing_title", "missing_h1", "low_content", "missing_meta_description"}


def test_pages_whose_body_broke_off_are_unparsed_not_empty(
    hostile_site: RunningSite, hostile_crawl: CrawlDataset
) -> None:
    urls = [hostile_site.url + "hostile/" + path for path in BROKEN_BODIES]
    marks = "?, " * (len(urls) - 1) + "?"
    rows = hostile_crawl.query(
        f"SELECT url, indexability FROM page_indexability WHERE url IN ({marks})", urls
    )
    assert {r["url"]: r["indexability"] for r in rows} == dict.fromkeys(urls, "unparsed")
    issues = audit(hostile_crawl, AuditSettings(), save=False).issues
    by_page = {(i.check, i.url) for i in issues if i.url in urls}
    assert not {check for check, _ in by_page} & CONTENT_CHECKS
    assert {("no_response", url) for url in urls} <= by_page
