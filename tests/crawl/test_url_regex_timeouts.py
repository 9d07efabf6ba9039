"""The regexes a user gives for URLs (`--include`/`--exclude`, `[crawl.rewrite]` replace rules)
run with a time limit (crawl/patterns.py): a catastrophically backtracking pattern on a long URL
a site chose costs that URL (left out of the crawl, or not rewritten) and one warning line, not
a hung crawl. With `re` each of these tests hangs until pytest-timeout fails it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import structlog.testing

from marketloop.crawl import patterns
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.extract import extract
from marketloop.crawl.frontier import Entry
from marketloop.crawl.records import RewriteRules
from marketloop.crawl.rewrite import Rewriter
from marketloop.crawl.run import run_crawl
from marketloop.crawl.scope import Scope

from .static_site import serve

pytestmark = pytest.mark.timeout(60)

#: `(a|a)+$` tries 2**60 ways to split the run of `a` before the `b`; `/(a|b|ab)+/$` is the
#: same trap written as a path rule might be
EVIL = r"(a|a)+$"
EVIL_PATH = r"/(a|b|ab)+/$"
LONG = "https://a.test/" + "a" * 60 + "b"
LONG_PATH = "https://a.test/p/" + "ab" * 40 + "!"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "URL_SECONDS", 0.05)


def found_in(scope: Scope, urls: list[str]) -> list[str]:
    entry = Entry(1, 1, "https://a.test/", 0, "start", ())
    return [f[0] for f in scope.from_page(entry, [(u, "link") for u in urls])]


@pytest.mark.parametrize("setting", ["include", "exclude"])
def test_a_rule_out_of_time_leaves_the_url_out_with_one_warning(setting: str) -> None:
    scope = Scope("https://a.test/", CrawlSettings.model_validate({setting: [EVIL, EVIL_PATH]}))
    ordinary = "https://a.test/aaa" if setting == "include" else "https://a.test/x"
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs:
        kept = found_in(scope, [LONG, ordinary, LONG_PATH])
    assert time.monotonic() - started < 5
    assert kept == [ordinary]
    assert [(e["log_level"], e["event"], e["url"]) for e in logs] == [
        (
            "warning",
            f"crawl.{setting} {rule!r}: the regex ran over 0.05 s on this URL (catastrophic "
            "backtracking?); the URL is left out of the crawl",
            url,
        )
        for rule, url in ((EVIL, LONG), (EVIL_PATH, LONG_PATH))
    ]


def test_ordinary_include_and_exclude_still_decide() -> None:
    scope = Scope("https://a.test/", CrawlSettings(include=["/docs/"], exclude=[r"\?print"]))
    urls = ["https://a.test/docs/a", "https://a.test/docs/a?print=1", "https://a.test/blog/b"]
    with structlog.testing.capture_logs() as logs:
        assert found_in(scope, urls) == ["https://a.test/docs/a"]
    assert logs == []


def test_a_replace_rule_out_of_time_leaves_the_url_as_found() -> None:
    rules = RewriteRules(replace=(("^http://", "https://"), (EVIL, "z")))
    rewrite = Rewriter(rules)
    hostile = "http://a.test/" + "a" * 60 + "b"
    started = time.monotonic()
    assert rewrite(hostile) == hostile  # not even the first rule applied
    assert time.monotonic() - started < 5
    assert rewrite("http://a.test/aaa") == "https://a.test/z"
    assert rewrite.drain() == [
        f"crawl.rewrite.replace {EVIL!r}: the regex ran over 0.05 s on {hostile} "
        "(catastrophic backtracking?); that URL is not rewritten"
    ]
    assert rewrite.drain() == []


def test_a_page_reports_the_rewrites_that_ran_out_of_time() -> None:
    rules = RewriteRules(replace=((EVIL_PATH, "/"),))
    evil_href = "/p/" + "ab" * 40 + "!"
    html = f'<html><body><a href="{evil_href}">x</a><a href="/q/ab/">q</a></body></html>'
    page = extract(html, "https://a.test/", frozenset({"a.test"}), rewrite=rules)
    assert page.links.to_url == [LONG_PATH, "https://a.test/q/"]
    assert [w[:40] for w in page.warnings] == ["crawl.rewrite.replace '/(a|b|ab)+/$': th"]


def test_the_warning_shows_a_long_url_cut() -> None:
    url = "https://a.test/" + "x" * 10_000
    assert patterns.shown(url) == url[:200] + "... (10,015 characters)"


def test_a_crawl_with_backtracking_url_rules_goes_on(tmp_path: Path) -> None:
    """Through the parser process and the engine: the trap URL is neither rewritten nor
    fetched, the other pages are, and each rule says so once in the log."""
    home = f'<html><body><a href="/{"a" * 60}b">trap</a><a href="/ok">ok</a></body></html>'
    pages = {"/": ("text/html", home), "/ok": ("text/html", "<html><body>ok</body></html>")}
    settings = CrawlSettings(
        parse_workers=1,
        retries=0,
        exclude=[EVIL],
        rewrite={"replace": [{"pattern": EVIL, "replacement": "z"}]},
    )
    with serve(pages) as site, structlog.testing.capture_logs() as logs:
        run_crawl(site.url, tmp_path / "crawl", settings)
    assert sorted(site.requested) == ["/", "/ok", "/robots.txt", "/sitemap.xml"]
    warned = sorted(e["event"].split(":")[0] for e in logs if e["log_level"] == "warning")
    assert warned == [f"crawl.exclude {EVIL!r}", f"crawl.rewrite.replace {EVIL!r}"]


def test_a_parameter_glob_does_not_backtrack() -> None:
    """Globs are matched with `re`, no limit: `fnmatch.translate` makes each `*` an atomic
    group. A naive `.*` translation of this glob tries some 10**10 splits of the first name."""
    rewrite = Rewriter(RewriteRules(remove_params=("*a*a*a*a*a*a*a*a*a*a*c",)))
    url = "https://a.test/p?" + "a" * 60 + "b=1&" + "a" * 10 + "c=2"
    started = time.monotonic()
    assert rewrite(url) == "https://a.test/p?" + "a" * 60 + "b=1"
    assert time.monotonic() - started < 1
