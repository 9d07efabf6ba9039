"""Brief generation against the fake LLM: 500 briefs, 500 ms per call, 16 calls in flight.

Goal (issue 4): total time within 15% of the floor 500 × 0.5 s ÷ 16 = 15.6 s, and a second
run served from the response cache. Run: `python -m bench briefs` (or `make bench BENCH=briefs`).

The fake runs in its own process, as a real endpoint would: its work (validating requests,
writing answers) is not charged to the client being measured.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from marketloop.config import Settings, load_settings
from marketloop.content.folder import BriefFolder
from marketloop.content.offline import BriefContext
from marketloop.content.runs import generate_briefs, make_plan
from marketloop.fakes.openai import FakeOpenAI
from marketloop.fakes.server import LocalServer
from marketloop.keywords.model import Cluster, KeywordRecord

BRIEFS = 500
LATENCY = 0.5
CONCURRENCY = 16
GOAL = 1.15  # at most 15% over the floor

MODIFIERS = ["pricing", "for small business", "examples", "best practices", "tools", "guide"]
TOPICS = ["crm", "email", "seo", "analytics", "webinar", "landing page", "lead", "ads", "social"]


def clusters(count: int) -> list[Cluster]:
    """Distinct, realistic-looking clusters: topic × variant number, six keywords each."""
    found = []
    for i in range(count):
        head = f"{TOPICS[i % len(TOPICS)]} software {i}"
        keywords = [head, *(f"{head} {m}" for m in MODIFIERS)]
        members = [KeywordRecord(keyword=k, volume=1000 - 10 * j) for j, k in enumerate(keywords)]
        found.append(Cluster(cluster=head, keywords=keywords, members=members, volume=5000))
    return found


def settings_for(workspace: Path, base_url: str) -> Settings:
    settings = load_settings(overrides={"workspace": workspace})
    llm = settings.llm.model_copy(
        update={
            "provider": "openai",
            "base_url": base_url,
            "api_key": SecretStr("sk-fake"),
            "model": "gpt-4o-mini",
            "concurrency": CONCURRENCY,
        }
    )
    return settings.model_copy(update={"llm": llm})


def timed_run(settings: Settings, items: list[Cluster], out: Path) -> tuple[float, dict[str, Any]]:
    started, cpu = time.perf_counter(), time.process_time()
    run = generate_briefs(
        settings,
        items,
        BriefContext(clusters=items),
        make_plan(settings, drafts=False, force=True),
        BriefFolder(out),
    )
    elapsed = time.perf_counter() - started
    failed = [o for o in run.outcomes if o.status != "written"]
    if failed:
        raise SystemExit(f"{len(failed)} briefs failed, first: {failed[0].error}")
    paid = sorted(r.latency_ms for r in run.ledger.records if not r.cache_hit) or [0.0]
    totals = {
        **run.ledger.totals(),
        "cpu": time.process_time() - cpu,
        "mean_ms": statistics.mean(paid),
        "p95_ms": paid[int(0.95 * (len(paid) - 1))],
    }
    return elapsed, totals


def serve_fake(port: int, latency: float) -> None:
    with LocalServer(FakeOpenAI(latency=latency).app(), port=port):
        while True:
            time.sleep(3600)


@contextmanager
def fake_in_process(latency: float) -> Iterator[str]:
    """The fake OpenAI server in a child process; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    child = multiprocessing.get_context("spawn").Process(
        target=serve_fake, args=(port, latency), daemon=True
    )
    child.start()
    url = f"http://127.0.0.1:{port}/v1"
    try:
        with httpx.Client(headers={"Authorization": "Bearer sk-fake"}) as http:
            for _ in range(200):
                try:
                    http.get(url + "/models")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
        yield url
    finally:
        child.terminate()
        child.join(10)


def main() -> None:
    floor = BRIEFS * LATENCY / CONCURRENCY
    items = clusters(BRIEFS)
    with tempfile.TemporaryDirectory() as tmp, fake_in_process(LATENCY) as url:
        settings = settings_for(Path(tmp) / "ws", url)
        cold, totals = timed_run(settings, items, Path(tmp) / "first")
        warm, cached = timed_run(settings, items, Path(tmp) / "second")
    hit_rate = cached["cache_hits"] / BRIEFS
    print(f"briefs: {BRIEFS} against the fake LLM, {LATENCY * 1000:.0f} ms per call, "
          f"concurrency {CONCURRENCY}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    print(f"  first run:  {cold:6.2f} s  floor {floor:.2f} s  ratio {cold / floor:.3f} "
          f"(goal ≤ {GOAL:.2f}: {'met' if cold / floor <= GOAL else 'NOT met'})")  # fmt: skip
    print(f"              {totals['calls']} calls, "
          f"{totals['prompt_tokens'] + totals['completion_tokens']:,} tokens, "
          f"${totals['cost_usd']:.4f}, client CPU {totals['cpu']:.1f} s")  # fmt: skip
    bound = BRIEFS * totals["mean_ms"] / 1000 / CONCURRENCY
    print(f"              calls took {totals['mean_ms']:.0f} ms on average "
          f"(p95 {totals['p95_ms']:.0f} ms; the fake sleeps {LATENCY * 1000:.0f} ms): "
          f"{bound:.2f} s of calls ÷ {CONCURRENCY}; "
          f"the pipeline adds {cold - bound:.2f} s")  # fmt: skip
    print(f"  second run: {warm:6.2f} s  cache hit rate {hit_rate:.0%} "
          f"({cached['cache_hits']} hits, {cached['calls']} calls), "
          f"{cold / warm:.1f}× faster")  # fmt: skip


if __name__ == "__main__":
    main()
