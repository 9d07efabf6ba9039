"""Depth and found_via do not depend on timing: a crawl with many requests in flight, on a site
whose pages answer after random delays, records exactly what a one-page-at-a-time
breadth-first crawl would (the oracle below), on every run.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.fakes.server import LocalServer

FAST = {"retries": 0, "timeout": 5.0, "parse_workers": 1, "concurrency": 24}


@dataclass(frozen=True)
class Graph:
    links: dict[str, list[str]]  # page path → the paths it links to, in document order
    redirects: dict[str, str]  # path → path it redirects to (301)


def random_graph(seed: int, pages: int = 160) -> Graph:
    """A site with shortcuts, back links and redirects, so most pages are found many ways."""
    rng = random.Random(seed)
    paths = ["/"] + [f"/p{i}/" for i in range(1, pages)]
    redirects = {f"/old{i}/": rng.choice(paths[1:]) for i in range(pages // 8)}
    redirects["/old-chain/"] = "/old0/"
    targets = paths[1:] + list(redirects)
    links: dict[str, list[str]] = {}
    for i, path in enumerate(paths):
        # a spine keeps every page reachable; random links make depths race
        spine = [paths[i + 1]] if i + 1 < len(paths) else []
        links[path] = spine + rng.sample(targets, k=rng.randint(1, 6))
    return Graph(links, redirects)


def oracle(graph: Graph) -> dict[str, tuple[int, str]]:
    """A sequential breadth-first crawl: pop the lowest (depth, seq), first discovery wins."""
    seen: dict[str, tuple[int, str]] = {"/": (0, "start")}
    queue = [(0, 0, "/")]
    seq = 0
    while queue:
        depth, _, path = heapq.heappop(queue)
        found = (
            [(graph.redirects[path], depth, "redirect")]
            if path in graph.redirects
            else [(t, depth + 1, "link") for t in dict.fromkeys(graph.links[path])]
        )
        for target, target_depth, via in found:
            if target not in seen:
                seq += 1
                seen[target] = (target_depth, via)
                heapq.heappush(queue, (target_depth, seq, target))
    return seen


def serve(graph: Graph, delays: random.Random) -> LocalServer:
    async def page(request: web.Request) -> web.StreamResponse:
        path = request.path
        await asyncio.sleep(delays.random() * 0.02)
        if path in graph.redirects:
            raise web.HTTPMovedPermanently(graph.redirects[path])
        if path not in graph.links:
            raise web.HTTPNotFound()
        anchors = "".join(f'<a href="{t}">{t}</a>' for t in graph.links[path])
        body = f"<html><head><title>{path}</title></head><body>{anchors}</body></html>"
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    return LocalServer(app)


def crawl(graph: Graph, folder: Path, delay_seed: int) -> dict[str, tuple[int, str]]:
    with serve(graph, random.Random(delay_seed)) as server:
        run_crawl(server.url + "/", folder, CrawlSettings(**FAST))
        prefix = server.url
    pages = CrawlDataset.open(folder).query("SELECT url, depth, found_via FROM pages")
    return {p["url"].removeprefix(prefix): (p["depth"], p["found_via"]) for p in pages}


def test_depth_and_found_via_match_a_sequential_crawl_whatever_the_timing(
    tmp_path: Path,
) -> None:
    graph = random_graph(seed=7)
    expected = oracle(graph)
    for run in range(3):
        got = crawl(graph, tmp_path / f"run{run}", delay_seed=run)
        expected_robots = {"/robots.txt", "/sitemap.xml"} & set(got)
        assert {p: got[p] for p in got.keys() - expected_robots} == expected, f"run {run}"


def test_the_oracle_sees_the_races_this_test_is_about() -> None:
    """The graph has pages whose shortest path is not the first one a spine walk meets."""
    graph = random_graph(seed=7)
    depths = oracle(graph)
    spine_index = {f"/p{i}/": i for i in range(1, 160)}
    assert any(depths[p][0] < i for p, i in spine_index.items())
    assert any(via == "redirect" for _, via in depths.values())
    assert set(spine_index) < set(depths)  # every page, and some redirects, are reached
