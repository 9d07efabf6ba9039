"""URL rewriting (`[crawl.rewrite]`): parameters removed by name or glob, regex replace rules
and lower case, applied to discovered URLs before they are deduplicated and queued; a link
keeps its URL before rewriting in `original_url`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from marketloop.crawl.config import CrawlSettings, RewriteSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.extract import extract
from marketloop.crawl.records import RewriteRules
from marketloop.crawl.rewrite import Rewriter
from marketloop.crawl.run import run_crawl

from .static_site import serve

pytestmark = pytest.mark.timeout(60)
RULES = RewriteRules(remove_params=("utm_*", "sessionid", "gclid"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.test/p?utm_source=x&utm_medium=y", "https://a.test/p"),
        ("https://a.test/p?id=1&utm_source=x&b=2", "https://a.test/p?id=1&b=2"),
        ("https://a.test/p?UTM_Source=x&SessionID=9", "https://a.test/p"),  # any case
        ("https://a.test/p?utm%5Fsource=x&id=1", "https://a.test/p?id=1"),  # escaped name
        ("https://a.test/p?&&utm_source&id=1&&", "https://a.test/p?id=1"),  # empty pairs
        ("https://a.test/p?gclid=%3Cscript%3E&q=%22%27%26", "https://a.test/p?q=%22%27%26"),
        ("https://a.test/p?utm=1&xutm_source=2", "https://a.test/p?utm=1&xutm_source=2"),
        ("https://a.test/p?id=utm_source", "https://a.test/p?id=utm_source"),  # a value only
        ("https://a.test/utm_source/?a=1", "https://a.test/utm_source/?a=1"),  # a path
        ("https://a.test/p", "https://a.test/p"),
    ],
)
def test_parameters_removed_by_name_or_glob(url: str, expected: str) -> None:
    assert Rewriter(RULES)(url) == expected


def test_replace_rules_in_order_then_lower_case_then_normal_form() -> None:
    rules = RewriteRules(
        replace=(("^http://", "https://"), (r"/index\.html$", "/"), (r"/(\d+)/", r"/n-\1/")),
        lowercase=True,
    )
    rewrite = Rewriter(rules)
    assert rewrite("http://a.test/Shop/12/Index.HTML") == "https://a.test/shop/n-12/index.html"
    assert rewrite("http://a.test/Shop/12/index.html") == "https://a.test/shop/n-12/"
    assert rewrite("https://a.test/a/../B%7e") == "https://a.test/b~"  # normalised again


def test_a_rewrite_that_breaks_the_url_is_not_applied() -> None:
    rewrite = Rewriter(RewriteRules(replace=(("^https://a\\.test", "javascript:"),)))
    assert rewrite("https://a.test/x") == "https://a.test/x"
    assert Rewriter(None)("https://a.test/X?utm_source=1") == "https://a.test/X?utm_source=1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"replace": [{"pattern": "(a", "replacement": ""}]}, "rewrite rule '(a' -> ''"),
        ({"replace": [{"pattern": "(a)", "replacement": r"\2"}]}, "invalid group reference"),
        ({"replace": [{"pattern": "(?P<n>a)", "replacement": r"\g<x>"}]}, "unknown group"),
        ({"replace": [{"pattern": "a", "replacement": r"\q"}]}, r"'\\q': bad escape \q"),
        ({"replace": [{"pattern": "a{2,1}", "replacement": ""}]}, "rewrite rule 'a{2,1}'"),
        ({"remove_params": ["a=b"]}, "'a=b' is not a parameter name"),
        ({"remove_params": [" "]}, "is not a parameter name"),
    ],
)
def test_bad_rules_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RewriteSettings.model_validate(fields)
    assert message in str(caught.value)


def test_links_are_rewritten_and_keep_their_original() -> None:
    html = (
        '<html><head><link rel="canonical" href="/p?gclid=1&id=1"></head><body>'
        '<a href="/p?utm_source=x&amp;id=1">p</a><a href="/q">q</a>'
        '<img src="/i.png?sessionid=3"></body></html>'
    )
    got = extract(html, "https://a.test/", frozenset({"a.test"}), rewrite=RULES)
    assert got.links.to_url[:2] == ["https://a.test/p?id=1", "https://a.test/q"]
    assert got.links.original_url[:2] == ["https://a.test/p?utm_source=x&id=1", None]
    assert got.facts.canonical == "https://a.test/p?id=1"
    assert got.images.src == ["https://a.test/i.png"]
    assert dict(got.discovered) == {
        "https://a.test/p?id=1": "link",
        "https://a.test/q": "link",
        "https://a.test/i.png": "image",
    }


def test_a_crawl_fetches_each_rewritten_url_once(tmp_path: Path) -> None:
    home = (
        '<html><body><a href="/p?utm_source=news">1</a><a href="/p?utm_source=mail&amp;'
        'utm_medium=x">2</a><a href="/P">3</a><a href="/r">redirect</a></body></html>'
    )
    pages = {
        "/": ("text/html", home),
        "/p": ("text/html", "<html><body>p</body></html>"),
    }
    settings = CrawlSettings(
        parse_workers=1,
        retries=0,
        rewrite={"remove_params": ["utm_*"], "lowercase": True},
    )
    with serve(pages) as site:
        pages["/sitemap.xml"] = (
            "application/xml",
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.url}p?UTM_campaign=s</loc></url></urlset>",
        )
        run_crawl(site.url, tmp_path / "crawl", settings)
    assert sorted(p for p in site.requested if p.startswith("/p")) == ["/p"]
    dataset = CrawlDataset.open(tmp_path / "crawl")
    assert dataset.query("SELECT url FROM sitemap_urls") == [{"url": site.url + "p"}]
    originals = dataset.query(
        "SELECT DISTINCT to_url, original_url FROM links WHERE to_url LIKE '%/p' "
        "ORDER BY original_url"
    )
    assert [r["original_url"].rsplit("/", 1)[1] for r in originals] == [
        "P",
        "p?utm_source=mail&utm_medium=x",
        "p?utm_source=news",
    ]
    assert {r["to_url"] for r in originals} == {site.url + "p"}
