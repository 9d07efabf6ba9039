"""The network policy in real crawls: a public-looking site whose name later resolves to
127.0.0.1 (DNS rebinding), or whose start URL redirects to a private address, is refused;
a crawl that starts on 127.0.0.1 is allowed to stay there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp.connector
import pytest
from aiohttp import web

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.netpolicy import StaticResolver
from marketloop.crawl.run import run_crawl
from marketloop.fakes.server import LocalServer

PUBLIC = "93.184.216.34"  # what the test's DNS says www.example.com is
pytestmark = pytest.mark.timeout(60)


async def _page(request: web.Request) -> web.StreamResponse:
    headers = {"Connection": "close"}  # every request needs a new connection, so a new lookup
    if request.path == "/old/":
        return web.Response(
            status=301, headers={"Location": f"http://127.0.0.1:{request.url.port}/", **headers}
        )
    if request.path == "/elsewhere/":  # another loopback address than the start's
        return web.Response(
            status=301, headers={"Location": f"http://127.0.0.2:{request.url.port}/", **headers}
        )
    body = "<html><head><title>t</title></head><a href='/a/'>A</a> <a href='/b/'>B</a></html>"
    request.app[SERVED].append(request.path)
    return web.Response(text=body, content_type="text/html", headers=headers)


SERVED = web.AppKey("served", list[str])


@pytest.fixture
def server() -> Iterator[LocalServer]:
    app = web.Application()
    app[SERVED] = []
    app.router.add_route("GET", "/{tail:.*}", _page)
    with LocalServer(app) as running:
        yield running


@pytest.fixture
def route_public_address_to_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Play the internet: connections to PUBLIC reach the local test server."""
    original = aiohttp.connector.aiohappyeyeballs.start_connection

    async def start_connection(addr_infos: list[Any], **kwargs: Any) -> Any:
        rerouted = [
            (*info[:4], ("127.0.0.1", info[4][1])) if info[4][0] == PUBLIC else info
            for info in addr_infos
        ]
        return await original(rerouted, **kwargs)

    monkeypatch.setattr(aiohttp.connector.aiohappyeyeballs, "start_connection", start_connection)


def crawl(
    url: str, folder: Path, resolver: StaticResolver | None = None, **settings: Any
) -> CrawlDataset:
    result = run_crawl(
        url,
        folder,
        CrawlSettings(concurrency=1, retries=0, parse_workers=0, **settings),
        resolver=resolver,
    )
    return CrawlDataset.open(result.folder)


def statuses(dataset: CrawlDataset) -> dict[str, tuple[int | None, str | None]]:
    rows = dataset.query("SELECT url, status, error FROM pages")
    return {r["url"].split("/", 3)[3]: (r["status"], r["error"]) for r in rows}


@pytest.mark.usefixtures("route_public_address_to_localhost")
def test_a_public_name_that_rebinds_to_localhost_is_refused(
    server: LocalServer, tmp_path: Path
) -> None:
    # lookups 1-4: the start classification, robots.txt, /sitemap.xml and the start page
    resolver = StaticResolver({"www.example.com": [PUBLIC] * 4 + ["127.0.0.1"]})
    dataset = crawl(f"http://www.example.com:{server.port}/", tmp_path / "c", resolver)
    assert statuses(dataset) == {
        "": (200, None),
        "a/": (None, "private_address"),
        "b/": (None, "private_address"),
    }
    assert sorted(server.app[SERVED]) == ["/", "/robots.txt", "/sitemap.xml"]  # not /a/ or /b/


@pytest.mark.usefixtures("route_public_address_to_localhost")
def test_a_start_redirect_to_a_private_address_is_refused(
    server: LocalServer, tmp_path: Path
) -> None:
    resolver = StaticResolver({"www.example.com": PUBLIC})
    dataset = crawl(f"http://www.example.com:{server.port}/old/", tmp_path / "c", resolver)
    assert statuses(dataset) == {"old/": (301, None), "": (None, "private_address")}


@pytest.mark.usefixtures("route_public_address_to_localhost")
def test_the_setting_allows_private_networks(server: LocalServer, tmp_path: Path) -> None:
    resolver = StaticResolver({"www.example.com": [PUBLIC] * 4 + ["127.0.0.1"]})
    dataset = crawl(
        f"http://www.example.com:{server.port}/",
        tmp_path / "c",
        resolver,
        allow_private_networks=True,
    )
    assert statuses(dataset) == {"": (200, None), "a/": (200, None), "b/": (200, None)}


@pytest.mark.usefixtures("route_public_address_to_localhost")
def test_one_private_answer_for_the_start_name_does_not_switch_the_policy_off(
    server: LocalServer, tmp_path: Path
) -> None:
    # lookup 1 (start classification) says 127.0.0.1, then public, then rebinding to 127.0.0.1
    resolver = StaticResolver({"www.example.com": ["127.0.0.1"] + [PUBLIC] * 3 + ["127.0.0.1"]})
    dataset = crawl(f"http://www.example.com:{server.port}/", tmp_path / "c", resolver)
    assert statuses(dataset) == {
        "": (200, None),
        "a/": (None, "private_address"),
        "b/": (None, "private_address"),
    }
    assert "/a/" not in server.app[SERVED] and "/b/" not in server.app[SERVED]


def test_a_start_name_on_a_private_address_needs_the_setting(
    server: LocalServer, tmp_path: Path
) -> None:
    resolver = StaticResolver({"intranet.test": "127.0.0.1"})
    dataset = crawl(f"http://intranet.test:{server.port}/", tmp_path / "c", resolver)
    assert statuses(dataset) == {"": (None, "private_address")}
    assert any("allow_private_networks" in note for note in dataset.manifest.notes)
    assert server.app[SERVED] == []


def test_the_start_exemption_covers_the_start_address_only(
    server: LocalServer, tmp_path: Path
) -> None:
    dataset = crawl(server.url + "/elsewhere/", tmp_path / "c")  # 301 to 127.0.0.2
    assert statuses(dataset) == {"elsewhere/": (301, None), "": (None, "private_address")}


def test_a_crawl_that_starts_on_localhost_may_stay_there(
    server: LocalServer, tmp_path: Path
) -> None:
    dataset = crawl(server.url + "/", tmp_path / "c")
    assert statuses(dataset) == {"": (200, None), "a/": (200, None), "b/": (200, None)}


def test_a_crawl_that_starts_on_the_name_localhost_may_stay_there(
    server: LocalServer, tmp_path: Path
) -> None:
    dataset = crawl(f"http://localhost:{server.port}/", tmp_path / "c")
    assert statuses(dataset) == {"": (200, None), "a/": (200, None), "b/": (200, None)}


def test_an_idn_host_is_requested_in_punycode(server: LocalServer, tmp_path: Path) -> None:
    resolver = StaticResolver({"xn--bcher-kva.test": "127.0.0.1"})
    dataset = crawl(
        f"http://bücher.test:{server.port}/", tmp_path / "c", resolver, allow_private_networks=True
    )
    urls = {r["url"] for r in dataset.query("SELECT url FROM pages")}
    assert f"http://xn--bcher-kva.test:{server.port}/a/" in urls
    assert statuses(dataset)[""] == (200, None)
