"""The audit's shared views alone (issue 16): `open_views` without `refs`, then `refs`, timed
in a fresh process per size over the datasets `python -m bench audit` kept.

    BENCH_AUDIT_DIR=DIR BENCH_AUDIT_PAGES=100000,1000000 python -m bench views

prints, per size, wall and CPU seconds of validating the parts, the rest of the views (the
dataset views, `page_state`, `in_sitemap`, `rendered_pages`) and `refs`, the peak RSS, and each
part's CPU growth divided by the pages' growth (≤ 1.0 is linear). Skipped without the datasets.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def child(folder: str) -> None:
    from marketloop.audit.views import open_refs, open_views, validate
    from marketloop.crawl.dataset import CrawlDataset

    dataset = CrawlDataset.open(folder)
    figures: dict[str, tuple[float, float]] = {}
    last = [time.perf_counter(), time.process_time()]

    def tick(name: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        figures[name] = (now[0] - last[0], now[1] - last[1])
        last[:] = now

    validate(dataset)
    tick("validate")
    with open_views(dataset, refs=False) as con:  # validates again: subtracted below
        tick("views")
        open_refs(con)
        tick("refs")
    wall, cpu = figures["views"]
    figures["views"] = (wall - figures["validate"][0], cpu - figures["validate"][1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"parts": figures, "peak_mb": peak, "load": os.getloadavg()[0]}))


def main() -> None:
    folder = os.environ.get("BENCH_AUDIT_DIR")
    sizes = [int(n) for n in os.environ.get("BENCH_AUDIT_PAGES", "100000").split(",")]
    crawls = {n: Path(folder) / f"crawl-{n}" for n in sizes} if folder else {}
    if not crawls or not all((c / "manifest.json").is_file() for c in crawls.values()):
        print("views: skipped (set BENCH_AUDIT_DIR to the datasets `bench audit` kept)")
        return
    runs: dict[int, dict[str, list[float]]] = {}
    for pages, crawl in crawls.items():
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_views", "--child", str(crawl)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        run = json.loads(out.splitlines()[-1])
        runs[pages] = run["parts"]
        print(f"views, {pages:,} pages (load {run['load']:.1f}), peak RSS {run['peak_mb']:.0f} MB")
        for name, (wall, cpu) in run["parts"].items():
            print(f"  {name:10} {wall:7.2f} s wall {cpu:7.2f} s CPU")
    for small, big in itertools.pairwise(sizes):
        for name in runs[small]:
            growth = runs[big][name][1] / max(runs[small][name][1], 1e-9) / (big / small)
            print(f"  {name:10} CPU growth ÷ pages growth, {small:,} → {big:,}: {growth:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
