"""Dashboard server time per page (`make bench BENCH=web`), in process, bounded.

A workspace with a synthetic 100,000-page crawl and its audit (bench_audit's and bench_api's
generators) with two custom extraction rules on every page (a price and a list of tags),
100,000 keywords in 10,000 clusters and 500 briefs (copies of the sample brief with a draft) is
served by `create_app`; an admin is logged in, and each page is requested ROUNDS times one at a
time through the in-process ASGI client (so the figure is server time, plus the client's own
small overhead). Goals: p95 at most 150 ms for every page, and 200 ms for the page explorer
filtered and sorted (after the first query, which builds the crawl's page table).

    python -m bench web
    BENCH_WEB_PAGES=20000 BENCH_WEB_ROUNDS=10 python -m bench web
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

GOAL_MS = 150.0
GOAL_EXPLORER_MS = 200.0
CRAWL = "shop.example.com-20260101T000000Z"


def _keywords(path: Path, keywords: int) -> None:
    from marketloop.keywords.model import Cluster, KeywordRecord
    from marketloop.keywords.run import write_clusters

    per = 10
    clusters = []
    for c in range(keywords // per):
        members = [KeywordRecord(keyword=f"topic {c} term {k}", volume=10 * (k + 1))
                   for k in range(per)]  # fmt: skip
        clusters.append(Cluster(
            cluster=members[-1].keyword, keywords=[m.keyword for m in members], members=members,
            volume=sum(m.volume for m in members), opportunity=(c % 100) / 10,
            status=("gap", "covered", "cannibalised")[c % 3],
        ))  # fmt: skip
    write_clusters(clusters, path)


def _briefs(folder: Path, count: int) -> None:
    from marketloop.content.brief import Brief
    from marketloop.integrations.demo import sample_folder

    sample_folder(folder)
    brief = Brief.model_validate_json((folder / "content-brief-template.json").read_bytes())
    draft = (folder / "content-brief-template.md").read_text("utf-8")
    for n in range(count - 1):
        slug = f"brief-{n:04d}"
        copy = brief.model_copy(update={"slug": slug, "cluster": f"topic {n} term 9"})
        (folder / f"{slug}.json").write_text(copy.model_dump_json(), "utf-8")
        (folder / f"{slug}.md").write_text(draft, "utf-8")


def _extractions(folder: Path, pages: int) -> None:
    """Two `[[crawl.extract]]` rules' rows per page, as the crawler writes them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bench.bench_audit import BASE
    from marketloop.crawl.schema import EXTRACTIONS

    urls = [f"{BASE}/"] + [f"{BASE}/c/{i % 100}/p/{i}" for i in range(1, pages)]
    rows = {
        "page_url": urls * 2,
        "name": ["price"] * pages + ["tags"] * pages,
        "values": [[f"EUR {i % 997},{i % 100:02d}"] for i in range(pages)]
        + [[f"tag-{i % 50}", f"tag-{i % 7}", "=cmd|' /c calc'!A1"] for i in range(pages)],
        "matches": [1] * pages + [3] * pages,
    }
    (folder / "extractions").mkdir(parents=True, exist_ok=True)
    out = folder / "extractions" / "part-00000.parquet"
    pq.write_table(pa.table(rows, schema=EXTRACTIONS), out)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    from fastapi.testclient import TestClient

    from bench.bench_api import _synthetic_audit
    from bench.bench_audit import synthetic_crawl
    from marketloop.api.app import create_app
    from marketloop.config import load_settings
    from marketloop.observe.logging import configure_logging
    from marketloop.web.users import create_user

    configure_logging("warning", "console")  # as `marketloop serve` logs by default

    pages = int(os.environ.get("BENCH_WEB_PAGES", "100000"))
    rounds = int(os.environ.get("BENCH_WEB_ROUNDS", "20"))
    print(f"web bench (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        ws = Path(tmp) / "ws"
        started = time.perf_counter()
        synthetic_crawl(ws / "crawls" / CRAWL, pages)
        _synthetic_audit(ws / "crawls" / CRAWL, pages)
        _extractions(ws / "crawls" / CRAWL, pages)
        _keywords(ws / "clusters.json", pages)
        _briefs(ws / "briefs", 500)
        print(f"  generated {pages:,} pages, {pages:,} keywords, 500 briefs "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
        plan = Path(__file__).resolve().parents[1] / "examples/plans/ai-marketing-sprint.yaml"
        app = create_app(load_settings(overrides={"workspace": ws, "plan": {"file": plan}}))
        create_user(app.state.api.engine, "bench", "bench-password-1", "admin")
        with TestClient(app) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            client.post("/login", data={"name": "bench", "password": "bench-password-1",
                                        "csrf_token": token.group(1) if token else ""})  # fmt: skip
            explorer = [
                f"/site/pages?crawl={CRAWL}&status=200&indexability=indexable"
                "&sort=-response_time_ms",
                f"/site/pages?crawl={CRAWL}&check=missing_meta_description&sort=-word_count",
                f"/site/pages?crawl={CRAWL}&q=/c/42/&sort=-inlinks",
                f"/site/pages?crawl={CRAWL}&field=price&value=EUR 99,&sort=-word_count",
                f"/site/pages?crawl={CRAWL}&field=tags&sort=-inlinks",
            ]  # fmt: skip
            first = time.perf_counter()
            client.get(explorer[0]).raise_for_status()
            print(f"  first explorer query (builds the page table): "
                  f"{time.perf_counter() - first:.1f} s")  # fmt: skip
            paths = ["/", "/runs", "/site", "/tickets", "/data-health", "/keywords", "/briefs",
                     "/briefs/brief-0042", "/evals", "/plan", "/settings",
                     f"/site/page?crawl={CRAWL}&url=https://shop.example.com/c/7/p/107",
                     ]  # fmt: skip
            worst = 0.0
            for path in [*paths, *explorer]:
                client.get(path).raise_for_status()  # warm
                times = []
                for _ in range(rounds):
                    begun = time.perf_counter()
                    client.get(path).raise_for_status()
                    times.append((time.perf_counter() - begun) * 1000)
                goal = GOAL_EXPLORER_MS if path.startswith("/site/pages") else GOAL_MS
                p95 = _pct(times, 0.95)
                worst = max(worst, p95 / goal)
                print(f"  {path[:70]:<70} p50 {_pct(times, 0.5):6.1f} ms  p95 {p95:6.1f} ms  "
                      f"ratio {goal / p95:.2f}x")  # fmt: skip
            print(f"  ratio to the goals (worst page): {1 / worst:.2f}x (at least 1 meets them)")


if __name__ == "__main__":
    main()
