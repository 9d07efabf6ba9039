"""The dispatch loop waits without spinning, and a crawl capped by --max-urls ends without
reading every sitemap first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from marketloop.crawl import engine
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.run import run_crawl
from marketloop.fakes.server import LocalServer

SITEMAPS = 40
HAS_SITEMAPS = web.AppKey("has_sitemaps", bool)
RELEASED = web.AppKey("released", asyncio.Event)
URLSET = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
)
INDEX = (
    '<?xml version="1.0"?>'
    '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'
)


async def _page(request: web.Request) -> web.StreamResponse:
    base, path = f"http://{request.host}", request.path
    if path == "/sitemap.xml" and request.app[HAS_SITEMAPS]:
        locs = "".join(f"<sitemap><loc>{base}/sm{i}.xml</loc></sitemap>" for i in range(SITEMAPS))
        return web.Response(text=INDEX.format(locs), content_type="application/xml")
    if path.startswith("/sm"):  # never answers while the crawl runs: waiting for one would hang
        await request.app[RELEASED].wait()
        url = f"<url><loc>{base}/only-in{path}</loc></url>"
        return web.Response(text=URLSET.format(url), content_type="application/xml")
    if path == "/slow/":
        await asyncio.sleep(1.0)
    links = "".join(f'<a href="/p{i}/">p</a>' for i in range(5)) + '<a href="/slow/">s</a>'
    return web.Response(text=f"<title>t</title><body>{links}</body>", content_type="text/html")


async def _make_event(app: web.Application) -> None:
    app[RELEASED] = asyncio.Event()  # made on the server's own loop


async def _release(app: web.Application) -> None:
    app[RELEASED].set()


def serve(*, sitemaps: bool) -> LocalServer:
    app = web.Application()
    app[HAS_SITEMAPS] = sitemaps
    app.on_startup.append(_make_event)
    app.on_shutdown.append(_release)
    app.router.add_get("/{tail:.*}", _page)
    return LocalServer(app)


def test_max_urls_ends_the_crawl_without_reading_every_sitemap(tmp_path: Path) -> None:
    settings = CrawlSettings(retries=0, parse_workers=1, max_urls=3, obey_robots=False)
    with serve(sitemaps=True) as server:
        result = run_crawl(server.url + "/", tmp_path / "c", settings)
    assert result.manifest.status == "finished"
    assert result.manifest.counts["pages"] == 3
    assert result.manifest.counts["sitemaps"] <= 1  # the index at most: no child ever answered


def test_waiting_for_a_slow_page_does_not_spin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No sitemap, so sitemap discovery is over while /slow/ is still answering."""
    sleeps = 0
    original = engine.Crawler._sleep

    async def counting(self: engine.Crawler, sitemaps: asyncio.Task[None]) -> None:
        nonlocal sleeps
        sleeps += 1
        await original(self, sitemaps)

    monkeypatch.setattr(engine.Crawler, "_sleep", counting)
    settings = CrawlSettings(retries=0, parse_workers=1, obey_robots=False, max_depth=1)
    with serve(sitemaps=False) as server:
        result = run_crawl(server.url + "/", tmp_path / "c", settings)
    assert result.manifest.counts["pages"] == 7  # /, /p0/ … /p4/, /slow/
    assert sleeps < 200  # one wake per finished visit or flush, not a busy loop for 1 s
