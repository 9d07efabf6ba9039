"""Sitemaps as sources: hreflang alternates from `xhtml:link` entries (checked with the HTML and
header ones), and `crawl --list SITEMAP_URL` crawling what a sitemap or sitemap index lists."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.cli import app
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.progress import CrawlStats
from marketloop.crawl.run import run_crawl
from marketloop.crawl.sitemaps import parse_sitemap
from marketloop.errors import UsageError

from .static_site import serve

pytestmark = pytest.mark.timeout(60)
NS = (
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml"'
)


def alt(lang: str, href: str, rel: str = "alternate") -> str:
    return f'<xhtml:link rel="{rel}" hreflang="{lang}" href="{href}"/>'


def test_xhtml_link_alternates_are_read_per_entry() -> None:
    body = (
        f"<urlset {NS}><url><loc>https://a.test/en/</loc>"
        + alt("EN", "https://a.test/en/")
        + alt("de", "https://a.test/de/?q=%22&amp;x=&lt;script&gt;")
        + alt("fr", "javascript:alert(1)")  # not an http(s) URL: left out
        + alt("es", "https://a.test/es/", rel="canonical")  # not an alternate
        + '<xhtml:link rel="alternate" href="https://a.test/nolang/"/>'
        + '<link rel="alternate" hreflang="it" href="https://a.test/it/"/>'  # not XHTML
        + "</url><url><loc>https://a.test/de/</loc></url></urlset>"
    ).encode()
    doc = parse_sitemap(body)
    assert doc.locs == ["https://a.test/en/", "https://a.test/de/"]
    assert doc.hreflang == [
        [("en", "https://a.test/en/"), ("de", "https://a.test/de/?q=%22&x=%3Cscript%3E")],
        [],
    ]


def test_sitemap_alternates_feed_the_hreflang_check(tmp_path: Path) -> None:
    html = "<html><head><title>{0}</title>{1}</head><body>{0}</body></html>"
    pages: dict[str, tuple[str, str]] = {
        "/": ("text/html", html.format("home", "") + '<a href="/en/">en</a>'),
        "/de/": ("text/html", html.format("de", "")),
        "/it/": ("text/html", html.format("it", "")),
    }
    with serve(pages) as site:
        # /en/ names /it/ in its HTML; /it/ answers only from the sitemap
        en_head = f'<link rel="alternate" hreflang="it" href="{site.url}it/">'
        pages["/en/"] = ("text/html", html.format("en", en_head))
        entries = {
            "en/": [("en", "en/"), ("de", "de/"), ("fr", "fr/")],  # /fr/ is a 404
            "de/": [("en", "en/"), ("de", "de/")],
            "it/": [("en", "en/"), ("it", "it/")],
        }
        urls = "".join(
            f"<url><loc>{site.url}{loc}</loc>"
            + "".join(alt(lang, site.url + path) for lang, path in alternates)
            + "</url>"
            for loc, alternates in entries.items()
        )
        pages["/sitemap.xml"] = ("application/xml", f"<urlset {NS}>{urls}</urlset>")
        run_crawl(site.url, tmp_path / "crawl", CrawlSettings(parse_workers=1, retries=0))
    dataset = CrawlDataset.open(tmp_path / "crawl")
    fetched = {r["url"]: r["status"] for r in dataset.query("SELECT url, status FROM pages")}
    assert fetched[site.url + "fr/"] == 404  # an internal alternate of a sitemap is crawled
    result = audit(dataset, AuditSettings(), select=["hreflang_broken"], save=False)
    found = {i.url: i.detail for i in result.issues}
    assert found == {site.url + "en/": f"fr → {site.url}fr/: not 200 (HTTP 404)"}


def test_list_from_a_sitemap_index(tmp_path: Path) -> None:
    pages: dict[str, tuple[str, str]] = {
        p: ("text/html", f'<html><body><a href="/linked">{p}</a></body></html>')
        for p in ("/a", "/b", "/c")
    }
    with serve(pages) as site:
        other = site.url.replace("127.0.0.1", "localhost")
        pages["/index.xml"] = (
            "application/xml",
            f"<sitemapindex {NS}><sitemap><loc>{site.url}one.xml</loc></sitemap>"
            f"<sitemap><loc>{site.url}two.xml</loc></sitemap></sitemapindex>",
        )
        pages["/one.xml"] = (
            "application/xml",
            f"<urlset {NS}><url><loc>{site.url}a</loc></url><url><loc>{site.url}b</loc></url>"
            f"<url><loc>{other}elsewhere</loc></url></urlset>",
        )
        pages["/two.xml"] = (
            "application/xml",
            f"<urlset {NS}><url><loc>{site.url}c</loc></url><url><loc>{site.url}a</loc></url>"
            "</urlset>",
        )
        folder = tmp_path / "list"
        result = CliRunner().invoke(
            app,
            ["crawl", "--list", site.url + "index.xml", "--out", str(folder), "--format", "json",
             "--workspace", str(tmp_path / "ws")],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert any("1 URLs of" in note and "another host" in note for note in summary["notes"])
    dataset = CrawlDataset.open(folder)
    got = dataset.query("SELECT url, depth, found_via FROM pages ORDER BY url")
    assert got == [{"url": site.url + p, "depth": 0, "found_via": "list"} for p in ("a", "b", "c")]
    files = dataset.query("SELECT sitemap_url, found_via, kind FROM sitemaps ORDER BY sitemap_url")
    assert [(f["found_via"], f["kind"]) for f in files] == [
        ("list", "sitemapindex"), ("index", "urlset"), ("index", "urlset")
    ]  # fmt: skip
    assert "/linked" not in site.requested and "/robots.txt" in site.requested


@pytest.mark.parametrize("source", ["http://<script>/sitemap.xml", "https://exa mple.com/s.xml"])
def test_a_bad_sitemap_url_is_a_usage_error(source: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["crawl", "--list", source, "--workspace", str(tmp_path / "ws")]
    )
    assert isinstance(result.exception, UsageError)  # exit 2
    assert "cannot crawl" in str(result.exception)
    assert not (tmp_path / "ws" / "crawls").exists() or not any(
        (tmp_path / "ws" / "crawls").iterdir()
    )


def test_a_list_from_a_sitemap_resumes_without_fetching_twice(tmp_path: Path) -> None:
    names = [f"/p{i}" for i in range(6)]
    pages = dict.fromkeys(names, ("text/html", "<html><body>x</body></html>"))
    folder = tmp_path / "list"

    def interrupt(stats: CrawlStats) -> None:
        if stats.done == 2:
            os.kill(os.getpid(), signal.SIGINT)  # run_crawl stops cleanly, as on Ctrl-C

    listed = CrawlSettings(parse_workers=0, retries=0, concurrency=1, mode="list", batch_rows=1)
    with serve(pages) as site:
        locs = "".join(f"<url><loc>{site.url}{n[1:]}</loc></url>" for n in names)
        pages["/s.xml"] = ("application/xml", f"<urlset {NS}>{locs}</urlset>")
        first = run_crawl(site.url + "s.xml", folder, listed, on_progress=interrupt)
        assert first.interrupted
        second = run_crawl(site.url + "s.xml", folder, listed, resume=True)
    assert second.manifest.status == "finished"
    got = CrawlDataset.open(folder).query("SELECT url FROM pages ORDER BY url")
    assert [r["url"] for r in got] == [site.url + n[1:] for n in names]
    assert sorted(p for p in site.requested if p.startswith("/p")) == names  # each once
    assert site.requested.count("/s.xml") == 1


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("/gone.xml", None, "the sitemap {url}gone.xml could not be read in full: HTTP 404"),
        (
            "/broken.xml",
            f'<urlset {NS}><url><loc>http://x/a</loc><xhtml:link rel="alternate" hreflang=',
            "the sitemap {url}broken.xml could not be read in full: malformed XML",
        ),
    ],
)
def test_a_listed_sitemap_that_cannot_be_read_says_why(
    tmp_path: Path, path: str, body: str | None, said: str
) -> None:
    """Not only "no URL answered": the note names the sitemap and its error."""
    pages: dict[str, tuple[str, str]] = {}
    if body is not None:
        pages[path] = ("application/xml", body)
    with serve(pages) as site:
        result = CliRunner().invoke(
            app,
            ["crawl", "--list", site.url + path[1:], "--out", str(tmp_path / "c"),
             "--workspace", str(tmp_path / "ws")],
        )  # fmt: skip
    assert result.exit_code != 0
    assert said.format(url=site.url) in " ".join(result.output.split())
