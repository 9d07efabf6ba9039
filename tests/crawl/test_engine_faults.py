"""A bug in the crawler costs the URL it happened on (recorded, with a note), not the crawl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from marketloop.crawl import engine
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.fakes.server import LocalServer


async def _page(request: web.Request) -> web.StreamResponse:
    links = "".join(f"<a href='/{n}/'>page {n}</a>" for n in range(3))
    return web.Response(text=f"<title>t</title>{links}", content_type="text/html")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", _page)
    with LocalServer(app) as running:
        yield running


def test_an_unexpected_error_in_a_visit_is_recorded(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = engine.rows.add_html

    def broken(batch: Any, row: dict[str, Any], result: Any) -> None:
        if row["url"].endswith("/1/"):
            raise RuntimeError("boom")
        original(batch, row, result)

    monkeypatch.setattr(engine.rows, "add_html", broken)
    result = run_crawl(server.url + "/", tmp_path / "c", CrawlSettings(parse_workers=0))
    assert result.manifest.status == "finished"
    rows = {
        r["url"]: r["error"] for r in CrawlDataset.open(result.folder).query("SELECT * FROM pages")
    }
    assert rows[server.url + "/1/"] == "crawler_error"
    assert rows[server.url + "/2/"] is None
    assert any("boom" in note for note in result.manifest.notes)
