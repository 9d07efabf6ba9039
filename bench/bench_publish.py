"""Publishing throughput against the limits of the services, on local fakes.

Notion allows about 3 requests per second on average, so the floor for publishing is the
number of requests divided by 3; the client paces itself with a token bucket instead of
running into 429s. Goals: time within 15% of that floor, no 429 at all, and a re-publish of
unchanged briefs writes no block: per brief a query, a property update and one children list
per 100 blocks.

Webhooks: N events to a receiver that takes 50 ms per answer, with `webhooks.concurrency`
deliveries in flight (the receiver in its own process); the floor is N × 0.05 s ÷ concurrency.
Every delivery is signed, checked against earlier deliveries and recorded in the app database
(SQLite), all inside the measured time. The peer is a bare httpx thread pool posting the same
signed bodies with nothing else; goal: within 15% of it (on a 2-core machine shared with other
work, the floor itself is out of reach for any Python client).

    python -m bench publish          # BENCH_BRIEFS=8 BENCH_EVENTS=400 to change the sizes
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx

from marketloop.config import Settings, load_settings
from marketloop.content.brief import Brief
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.webhook_receiver import WebhookReceiver
from marketloop.integrations.briefs_folder import read_folder
from marketloop.integrations.publish import publish_to_notion
from marketloop.integrations.signing import sign_headers, signing_key
from marketloop.integrations.webhook_batch import send_many
from marketloop.integrations.webhooks import Event, WebhookSender
from marketloop.observe.logging import configure_logging

RATE = 3.0
SECRET = "bench-secret"
LATENCY = 0.05
CONCURRENCY = 8


def main() -> None:
    configure_logging("warning")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    briefs = int(os.environ.get("BENCH_BRIEFS", "8"))
    events = int(os.environ.get("BENCH_EVENTS", "400"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_notion(root, briefs)
        bench_webhooks(root, events)


def bench_notion(root: Path, count: int) -> None:
    folder = _briefs(root / "briefs", count)
    fake = NotionFake()
    fake.knobs.rate, fake.knobs.burst = RATE, 10  # Notion's average, some burst allowed
    database_id, _ = fake.add_database("Briefs", BRIEF_SCHEMA)
    with LocalServer(fake.app) as server:
        settings = load_settings(
            overrides={
                "workspace": root / "ws",
                "notion": {"token": fake.token, "database_id": database_id, "base_url": server.url},
            }
        )
        entries = read_folder(folder)
        for label in ("first publish", "re-publish unchanged"):
            before, started = len(fake.requests), time.perf_counter()
            outcomes = publish_to_notion(entries, settings)
            elapsed = time.perf_counter() - started
            requests = len(fake.requests) - before
            floor = max(requests - settings.notion.burst, 0) / RATE
            actions = sorted({o.action for o in outcomes})
            print(
                f"notion {label}: {count} briefs, {requests} requests "
                f"({requests / count:.1f}/brief), {elapsed:.1f} s; floor {floor:.1f} s at "
                f"{RATE:g} req/s; ratio {elapsed / floor:.2f} (goal <= 1.15); "
                f"429s so far {fake.rate_limited} (goal 0); actions {actions}"
            )


def bench_webhooks(root: Path, count: int) -> None:
    """The receiver runs in its own process, so its work does not compete for our GIL."""
    urls: mp.Queue[str] = mp.Queue()
    stop = mp.Event()
    receiver = mp.Process(target=_serve_receiver, args=(urls, stop), daemon=True)
    receiver.start()
    base = urls.get(timeout=30)
    try:
        settings: Settings = load_settings(
            overrides={
                "workspace": root / "ws-hooks",
                "webhooks": {
                    "urls": [f"{base}/hooks/bench"],
                    "secret": SECRET,
                    "concurrency": CONCURRENCY,
                },
            }
        )
        batch = [Event(type="bench", data={"n": n}) for n in range(count)]
        with WebhookSender(settings) as sender:
            started = time.perf_counter()
            deliveries = send_many(sender, batch)
            elapsed = time.perf_counter() - started
        verified = len(httpx.get(f"{base}/events").json())
        bare = _bare_httpx(f"{base}/hooks/bare", batch)
    finally:
        stop.set()
        receiver.join(timeout=10)
    floor = count * LATENCY / CONCURRENCY
    delivered = sum(d.delivered for d in deliveries)
    print(
        f"webhooks: {delivered}/{count} delivered and recorded ({verified} verified by the "
        f"receiver), {elapsed:.2f} s ({count / elapsed:.0f}/s) at {LATENCY * 1000:.0f} ms per "
        f"answer, concurrency {CONCURRENCY}; floor {floor:.2f} s, ratio {elapsed / floor:.2f}; "
        f"a bare httpx thread pool posting the same bodies (no retries, no records): "
        f"{bare:.2f} s, ratio to it {elapsed / bare:.2f} (goal <= 1.15)"
    )


def _bare_httpx(url: str, batch: list[Event]) -> float:
    """The peer: the same POSTs from a plain thread pool, signed, nothing else."""
    with httpx.Client() as client, ThreadPoolExecutor(CONCURRENCY) as pool:

        def post(event: Event) -> int:
            body = event.body()
            headers = sign_headers(signing_key(SECRET), event.id, body)
            return client.post(url, content=body, headers=headers).status_code

        started = time.perf_counter()
        statuses = set(pool.map(post, batch))
        elapsed = time.perf_counter() - started
    assert statuses == {200}, statuses
    return elapsed


def _serve_receiver(urls: mp.Queue[str], stop: EventType) -> None:
    receiver = WebhookReceiver(SECRET)
    receiver.delay = LATENCY
    with LocalServer(receiver.app) as server:
        urls.put(server.url)
        stop.wait()


def _briefs(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for n in range(count):
        brief = Brief(
            slug=f"brief-{n}",
            cluster=f"cluster {n}",
            title_options=[f"Brief {n}"],
            meta_description="Benchmark brief.",
            h1=f"Brief {n}",
            outline=[{"level": 2, "heading": f"Part {p}", "notes": "notes"} for p in range(10)],  # type: ignore[misc]
            primary_terms=[{"term": f"term {n}", "min_count": 2}],  # type: ignore[list-item]
            intent="informational",
            audience="marketers",
            word_count_min=1000,
            word_count_max=1500,
            call_to_action="Sign up",
            opportunity=5.0,
        )
        (folder / f"{brief.slug}.json").write_text(brief.model_dump_json(), encoding="utf-8")
        draft = "\n".join(f"## S{s}\n\nParagraph {s}.\n\n- a\n- b\n" for s in range(60))
        (folder / f"{brief.slug}.md").write_text(draft, encoding="utf-8")
    return folder
