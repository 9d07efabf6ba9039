"""Depth and found_via do not depend on timing: a crawl with many requests in flight, on a site
whose pages answer after random delays, records exactly what a one-page-at-a-time
breadth-first crawl would (the oracle below), on every run.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from marketloop.crawl import engine
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


def oracle(graph: Graph, max_urls: int | None = None) -> dict[str, tuple[int, str]]:
    """A sequential breadth-first crawl: pop the lowest (depth, seq), first discovery wins.

    With `max_urls`, the first that many URLs popped (what a capped crawl records).
    """
    seen: dict[str, tuple[int, str]] = {"/": (0, "start")}
    popped: list[str] = []
    queue = [(0, 0, "/")]
    seq = 0
    while queue:
        depth, _, path = heapq.heappop(queue)
        popped.append(path)
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
    return seen if max_urls is None else {p: seen[p] for p in popped[:max_urls]}


def serve(graph: Graph, delay: Callable[[str], float]) -> LocalServer:
    async def page(request: web.Request) -> web.StreamResponse:
        path = request.path
        await asyncio.sleep(delay(path))
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


def crawl(
    graph: Graph, folder: Path, delay_seed: int, **settings: Any
) -> dict[str, tuple[int, str]]:
    """Crawl `graph`, each response delayed by up to 20 ms at random; {path: (depth, via)}."""
    delays = random.Random(delay_seed)
    return crawl_with(graph, folder, lambda _: delays.random() * 0.02, **settings)


def crawl_with(
    graph: Graph, folder: Path, delay: Callable[[str], float], **settings: Any
) -> dict[str, tuple[int, str]]:
    with serve(graph, delay) as server:
        run_crawl(server.url + "/", folder, CrawlSettings(**{**FAST, **settings}))
        prefix = server.url
    pages = CrawlDataset.open(folder).query("SELECT url, depth, found_via FROM pages")
    return {p["url"].removeprefix(prefix): (p["depth"], p["found_via"]) for p in pages}


def test_depth_and_found_via_match_a_sequential_crawl_whatever_the_timing(
    tmp_path: Path,
) -> None:
    graph = random_graph(seed=7)
    expected = oracle(graph)
    for run in range(3):
        assert crawl(graph, tmp_path / f"run{run}", delay_seed=run) == expected, f"run {run}"


def test_a_full_reorder_buffer_holds_dispatch_without_deadlock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """32 waiting visits at most, and at most 25 x batch_rows = 50 waiting link rows."""
    monkeypatch.setattr(engine, "AHEAD", 1)
    graph = random_graph(seed=11)
    got = crawl(graph, tmp_path / "small", delay_seed=5, concurrency=8, batch_rows=2)
    assert got == oracle(graph)


def test_max_urls_keeps_the_first_urls_in_breadth_first_order(tmp_path: Path) -> None:
    graph = random_graph(seed=7)
    expected = oracle(graph, max_urls=60)
    for run in range(3):
        got = crawl(graph, tmp_path / f"run{run}", run, max_urls=60, obey_robots=False)
        assert got == expected, f"run {run}"


def test_a_redirect_target_found_late_still_counts_before_deeper_urls(tmp_path: Path) -> None:
    """The redirect answers last, after its siblings' links filled the budget: its target,
    one level up, still takes its place in the first max_urls URLs."""
    siblings = [f"/p{i}/" for i in range(5)]
    links = {"/": ["/old/", *siblings], "/target/": []}
    links |= {s: [f"{s}{j}/" for j in range(10)] for s in siblings}
    links |= {f"{s}{j}/": [] for s in siblings for j in range(10)}
    graph = Graph(links, redirects={"/old/": "/target/"})
    expected = oracle(graph, max_urls=10)
    assert "/target/" in expected
    got = crawl_with(
        graph, tmp_path / "c", lambda path: 0.5 if path == "/old/" else 0.0, max_urls=10
    )
    assert got == expected


def test_the_oracle_sees_the_races_this_test_is_about() -> None:
    """The graph has pages whose shortest path is not the first one a spine walk meets."""
    graph = random_graph(seed=7)
    depths = oracle(graph)
    spine_index = {f"/p{i}/": i for i in range(1, 160)}
    assert any(depths[p][0] < i for p, i in spine_index.items())
    assert any(via == "redirect" for _, via in depths.values())
    assert set(spine_index) < set(depths)  # every page, and some redirects, are reached
