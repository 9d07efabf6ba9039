"""API overhead and the pages endpoint (`make bench BENCH=api`), on loopback, bounded.

1. Authentication + rate limiting: the same uvicorn settings serve (a) a bare FastAPI endpoint
   returning the JSON of GET /api/v1/scopes with no auth and no limits, and (b) the real app's
   GET /api/v1/scopes with a Bearer key, scope check and a rate limit (set high enough never to
   refuse). A client process sends the same number of requests to each, CONCURRENCY at a time.
   Goals: (b) reaches at least 0.7x the requests/s of (a), with p99 at most 2x (a)'s.
2. The pages endpoint of a 100,000-page synthetic crawl (bench_audit's generator, plus a stored
   audit with ~12% of pages flagged): filtered and sorted pages of 100 rows, with cursors.
   Goal: p95 at most 100 ms per request, sent one at a time (after the first query, which
   builds the crawl's page table).

    python -m bench api                              # 100k pages, 3,000 requests per server
    BENCH_API_PAGES=20000 BENCH_API_REQUESTS=1000 python -m bench api
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

GOAL_THROUGHPUT = 0.7
GOAL_P99 = 2.0
GOAL_PAGES_P95_MS = 100.0
CONCURRENCY = 8
ROUNDS = 5
HOST = "127.0.0.1"


def bare_app() -> Any:
    from fastapi import FastAPI

    from marketloop.api.routes.meta import SCOPES

    app = FastAPI()
    body = SCOPES.model_dump(mode="json")

    @app.get("/api/v1/scopes")
    async def scopes() -> dict[str, Any]:
        return body

    return app


def real_app(workspace: str) -> Any:
    from marketloop.api.app import create_app
    from marketloop.config import load_settings

    limits = dict.fromkeys(("read", "write", "run", "admin", "anonymous"), "100000000/minute")
    overrides = {"workspace": workspace, "api": {"limits": limits}}
    return create_app(load_settings(overrides=overrides))


def serve(kind: str, port: int, workspace: str) -> None:
    import uvicorn

    app = bare_app() if kind == "bare" else real_app(workspace)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, kind: str, workspace: str) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_api", "--serve", kind, str(self.port), workspace]
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/api/v1/openapi.json", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server on {self.url} did not start")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def _load(
    url: str, paths: list[str], headers: dict[str, str], concurrency: int = CONCURRENCY
) -> tuple[float, list[float]]:
    """Send every path, `concurrency` at a time; (requests/s, latencies in ms)."""
    latencies: list[float] = []
    queue = list(reversed(paths))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def worker() -> None:
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(paths) / elapsed, latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _key(workspace: str) -> str:
    from marketloop.api.keys import create_key, pepper
    from marketloop.api.scopes import Scope
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url, load_settings

    settings = load_settings(overrides={"workspace": workspace})
    key, _ = create_key(
        open_app_db(app_db_url(settings)), pepper(settings), "bench", [Scope.read], None
    )
    return key


def overhead(workspace: str, requests: int) -> None:
    """Both servers up at once, measured in alternating rounds, so a burst of load from the
    machine's other work hits both alike; rates are the median of the rounds."""
    key = _key(workspace)
    headers = {"bare": {}, "api": {"Authorization": f"Bearer {key}"}}
    rates: dict[str, list[float]] = {"bare": [], "api": []}
    latencies: dict[str, list[float]] = {"bare": [], "api": []}
    with Server("bare", workspace) as bare, Server("api", workspace) as api:
        urls = {"bare": bare.url, "api": api.url}
        for kind, url in urls.items():  # warm up
            asyncio.run(_load(url, ["/api/v1/scopes"] * 200, headers[kind]))
        for _ in range(ROUNDS):
            for kind, url in urls.items():
                paths = ["/api/v1/scopes"] * (requests // ROUNDS)
                rate, measured = asyncio.run(_load(url, paths, headers[kind]))
                rates[kind].append(rate)
                latencies[kind] += measured
    figures = {}
    for kind in ("bare", "api"):
        rate, p99 = statistics.median(rates[kind]), _pct(latencies[kind], 0.99)
        figures[kind] = (rate, p99)
        print(
            f"  {kind:>4}: {rate:,.0f} req/s (median of {ROUNDS} rounds), "
            f"p50 {_pct(latencies[kind], 0.5):.1f} ms, p99 {p99:.1f} ms "
            f"({requests:,} requests, {CONCURRENCY} at a time)"
        )
    throughput = figures["api"][0] / figures["bare"][0]
    p99 = figures["api"][1] / figures["bare"][1]
    print(
        f"  ratio: throughput {throughput:.2f}x (goal >= {GOAL_THROUGHPUT}), "
        f"p99 {p99:.2f}x (goal <= {GOAL_P99})"
    )


def _synthetic_audit(folder: Path, pages: int) -> None:
    import numpy as np

    from marketloop.audit.model import Issue, Severity
    from marketloop.audit.store import AuditRecord, write_issues

    rng = np.random.default_rng(11)
    checks = [
        ("missing_meta_description", Severity.warning),
        ("slow_response", Severity.notice),
        ("title_too_short", Severity.notice),
        ("broken_link", Severity.critical),
    ]
    issues = []
    for n in np.flatnonzero(rng.random(pages) < 0.12):
        check, severity = checks[int(n) % len(checks)]
        url = (
            "https://shop.example.com/" if n == 0 else f"https://shop.example.com/c/{n % 100}/p/{n}"
        )
        issues.append(Issue(check, severity, url, "synthetic", None, None, float(rng.random())))
    write_issues(folder, issues, AuditRecord("bench", [c for c, _ in checks], [], {}))


def pages_endpoint(workspace: str, pages: int, requests: int) -> None:
    from bench.bench_audit import synthetic_crawl

    folder = Path(workspace) / "crawls" / "shop.example.com-20260101T000000Z"
    started = time.perf_counter()
    synthetic_crawl(folder, pages)
    _synthetic_audit(folder, pages)
    took = time.perf_counter() - started
    print(f"  generated a {pages:,}-page crawl with its audit in {took:.0f} s")
    key = _key(workspace)
    base = f"/api/v1/crawls/{folder.name}/pages?limit=100"
    queries = [
        "&status=200&indexability=indexable&sort=-response_time_ms",
        "&check=missing_meta_description&sort=-word_count",
        "&url_contains=/c/42/&sort=-inlinks",
        "&indexability=non_200&sort=url",
        "&status=200&sort=size",
    ]
    with Server("api", workspace) as server:
        headers = {"Authorization": f"Bearer {key}"}
        first = time.perf_counter()
        httpx.get(server.url + base + queries[0], headers=headers, timeout=300).raise_for_status()
        print(f"  first query (builds the crawl's page table): {time.perf_counter() - first:.1f} s")
        cursors = []  # the second page of each query: keyset pagination from a cursor
        for q in queries:
            data = httpx.get(server.url + base + q, headers=headers, timeout=60).json()["data"]
            cursors.append(f"{q}&starting_after={httpx.QueryParams({'u': data[-1]['url']})['u']}")
        paths = [base + (queries + cursors)[n % (2 * len(queries))] for n in range(requests)]
        rate, latencies = asyncio.run(_load(server.url, paths, headers, concurrency=1))
    p95 = _pct(latencies, 0.95)
    print(
        f"  pages endpoint: {rate:,.0f} req/s, p50 {_pct(latencies, 0.5):.1f} ms, p95 {p95:.1f} ms "
        f"({requests:,} filtered, sorted pages of 100 rows, one at a time)"
    )
    print(
        f"  ratio to the {GOAL_PAGES_P95_MS:.0f} ms p95 goal: {GOAL_PAGES_P95_MS / p95:.2f}x "
        "(at least 1 meets it)"
    )


def main() -> None:
    pages = int(os.environ.get("BENCH_API_PAGES", "100000"))
    requests = int(os.environ.get("BENCH_API_REQUESTS", "3000"))
    load = os.getloadavg()[0]
    print(f"api bench (load average {load:.1f} on {os.cpu_count()} cores; loopback only)")
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        overhead(tmp, requests)
        pages_endpoint(tmp, pages, max(200, requests // 6))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        print(json.dumps({"usage": "python -m bench api"}))
