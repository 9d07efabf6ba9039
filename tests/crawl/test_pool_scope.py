"""Parser processes survive a dying worker; the scope decides what enters the frontier."""

from __future__ import annotations

import os
import signal

import pytest

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.frontier import Entry
from marketloop.crawl.pool import ParserPool
from marketloop.crawl.records import HtmlJob
from marketloop.crawl.scope import Scope

PAGE = b"<html><head><title>Hello</title></head><body><main>one two three</main></body></html>"
INTERNAL = frozenset({"a.test"})


@pytest.mark.timeout(60)
async def test_a_dead_worker_costs_one_document_and_is_replaced() -> None:
    pool = await ParserPool(1).start()
    try:
        first = await pool.parse_page(HtmlJob("https://a.test/1", PAGE, None, INTERNAL))
        assert first.extracted is not None and first.extracted.facts.titles == ["Hello"]
        worker = pool.workers[0]
        assert worker.proc is not None
        os.kill(worker.proc.pid, signal.SIGSTOP)  # hold it, so both jobs queue behind it
        head = pool.parse_page(HtmlJob("https://a.test/2", PAGE, None, INTERNAL))
        queued = pool.parse_page(HtmlJob("https://a.test/3", PAGE, None, INTERNAL))
        import asyncio

        tasks = [asyncio.ensure_future(head), asyncio.ensure_future(queued)]
        await asyncio.sleep(0.2)
        os.kill(worker.proc.pid, signal.SIGKILL)
        lost, resent = await asyncio.gather(*tasks)
        assert lost.extracted is None and "died" in (lost.parse_error or "")
        assert resent.extracted is not None and resent.extracted.facts.titles == ["Hello"]
        assert len(pool.workers) == 1 and pool.workers[0] is not worker
    finally:
        await pool.close()


async def test_inline_mode_parses_in_process() -> None:
    pool = await ParserPool(0).start()
    result = await pool.parse_page(HtmlJob("https://a.test/", PAGE, None, INTERNAL))
    assert result.extracted is not None and result.extracted.facts.word_count == 3


def entry(url: str, depth: int | None = 1, via: str = "link", chain: tuple[str, ...] = ()) -> Entry:
    return Entry(depth if depth is not None else 99, 1, url, depth, via, chain)


def test_page_discoveries_respect_depth_patterns_and_images() -> None:
    settings = CrawlSettings(max_depth=2, exclude=["/tag/"], fetch_images=False)
    scope = Scope("https://a.test/", settings)
    found = [
        ("https://a.test/x", "link"),
        ("https://a.test/tag/y", "link"),
        ("https://a.test/i.png", "image"),
    ]
    assert scope.from_page(entry("https://a.test/p", 1), found) == [
        ("https://a.test/x", 2, "link", ())
    ]
    assert scope.from_page(entry("https://a.test/p", 2), found) == []  # depth 3 > max_depth
    assert scope.from_page(entry("https://a.test/p", None, "sitemap"), found) == []


def test_include_keeps_only_matching_urls() -> None:
    scope = Scope("https://a.test/", CrawlSettings(include=["/docs/"]))
    found = [("https://a.test/docs/a", "link"), ("https://a.test/blog/b", "link")]
    assert [f[0] for f in scope.from_page(entry("https://a.test/"), found)] == [
        "https://a.test/docs/a"
    ]


@pytest.mark.parametrize(
    ("entry_", "target", "found", "error"),
    [
        (
            entry("https://a.test/a"),
            "https://a.test/b",
            [("https://a.test/b", 1, "redirect", ("https://a.test/a",))],
            None,
        ),
        (
            entry("https://a.test/b", chain=("https://a.test/a",)),
            "https://a.test/a",
            [],
            "redirect_loop",
        ),
        (entry("https://a.test/a"), "https://a.test/a", [], "redirect_loop"),
        (entry("https://a.test/a"), "https://other.test/", [], None),
        (entry("https://a.test/a"), None, [], None),
        (
            entry("https://a.test/5", chain=tuple(f"https://a.test/{i}" for i in range(4))),
            "https://a.test/6",
            [],
            "too_many_redirects",
        ),
    ],
)
def test_redirect_chains(entry_: Entry, target: str | None, found: list, error: str | None) -> None:  # type: ignore[type-arg]
    scope = Scope("https://a.test/", CrawlSettings(max_redirects=5))
    assert scope.from_redirect(entry_, target) == (found, error)


def test_redirects_of_the_start_url_make_their_host_internal() -> None:
    scope = Scope("http://a.test/", CrawlSettings())
    found, _ = scope.from_redirect(entry("http://a.test/", 0, "start"), "https://www.a.test/")
    assert found and scope.is_internal("https://www.a.test/pricing/")
    later, _ = scope.from_redirect(entry("https://www.a.test/x"), "https://elsewhere.test/")
    assert later == [] and not scope.is_internal("https://elsewhere.test/")
