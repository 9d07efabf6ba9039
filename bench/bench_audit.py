"""Audit speed and memory on a synthetic crawl dataset (`make bench BENCH=audit`).

Generates a crawl of N pages in the contract's schemas (100,000 by default: ~3M links, 200k
images, redirects, sitemaps, hreflang pairs, seeded defects), written in 2,000-row part files
like the crawler's, then runs the full audit (every check, priorities, tickets, issues.parquet)
in a fresh process and reports wall time, pages per second and peak RSS, against the goals:

    100,000 pages audited in at most 30 s on this 2-core machine, in at most 1 GB peak RSS;
    1,000,000 pages in at most 3 minutes and 2 GB peak RSS (DuckDB capped at
    `audit.memory_limit`, spilling beyond it); every check's time growing at most linearly.

There is no open-source peer that audits a crawl dataset (advertools crawls, Screaming Frog is
a desktop app), so the ratios are to those goals. Also prints the slowest checks, the share of
the planted near copies that near_duplicate finds (its recall), and, for several sizes, every
check's wall and CPU seconds with their growth against the pages' growth.

    python -m bench audit                                  # 100k pages
    BENCH_AUDIT_PAGES=100000,300000,1000000 python -m bench audit
    BENCH_AUDIT_DIR=/tmp/audit-data python -m bench audit  # keep (and reuse) the datasets
    BENCH_AUDIT_MEMORY_LIMIT=850MB python -m bench audit   # DuckDB's cap (audit.memory_limit)
    BENCH_AUDIT_REPEAT=3 python -m bench audit             # each phase's least time of 3 runs
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import SCHEMAS

GOAL_SECONDS_PER_100K = 30.0
GOAL_RSS_MB = 1024.0
GOAL_1M_SECONDS = 180.0
GOAL_1M_RSS_MB = 2048.0
LINK_CHUNK_PAGES = 50_000  # pages whose links are generated at once (bounds the bench's memory)
PART_ROWS = 2_000
LINKS_PER_PAGE = 30
BASE = "https://shop.example.com"


def synthetic_crawl(folder: Path, pages: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    urls = np.array(
        [f"{BASE}/"] + [f"{BASE}/c/{i % 100}/p/{i}" for i in range(1, pages)], dtype=object
    )
    depth = np.minimum(1 + rng.geometric(0.45, pages), 7).astype(np.int32)
    depth[0] = 0
    status = np.where(rng.random(pages) < 0.01, 404, 200).astype(np.int32)
    status[rng.random(pages) < 0.003] = 500
    redirecting = rng.random(pages) < 0.01
    status[redirecting] = 301
    status[0] = 200
    titles = [[f"Product {i} from Acme's category {i % 100} for teams"] for i in range(pages)]
    for i in rng.choice(pages, pages // 100, replace=False):
        titles[i] = ["Acme product"]  # duplicate, too short
    descriptions = [
        [f"Buy product {i} in category {i % 100}: specifications, prices, delivery times and "
         "reviews from verified customers."]
        if rng.random() > 0.02 else []
        for i in range(pages)
    ]  # fmt: skip
    simhash = rng.integers(0, 2**63, pages, dtype=np.uint64) * np.uint64(2)
    # 256-bit MinHash fingerprints (4 words); groups of 5 near copies differ in up to 40 bits
    minhash = rng.integers(0, 2**63, (pages, 4), dtype=np.uint64) * np.uint64(2)
    planted = rng.choice(pages, (pages // 500, 5), replace=False)
    for group in planted:
        simhash[group] = simhash[group[0]] ^ rng.integers(0, 8, 5).astype(np.uint64)
        for member in group[1:]:
            flips = np.zeros(4, np.uint64)
            for bit in rng.choice(256, int(rng.integers(0, 41)), replace=False):
                flips[bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
            minhash[member] = minhash[group[0]] ^ flips
    table = {
        "url": urls.tolist(),
        "host": ["shop.example.com"] * pages,
        "depth": depth,
        "found_via": ["start"] + ["link"] * (pages - 1),
        "is_internal": np.ones(pages, bool),
        "blocked_by_robots": np.zeros(pages, bool),
        "status": status,
        "content_type": ["text/html"] * pages,
        "size": rng.integers(8_000, 90_000, pages),
        "response_time_ms": rng.gamma(2.0, 120.0, pages),
        "redirect_url": [f"{BASE}/" if r else None for r in redirecting],
        "hsts": ["max-age=63072000"] * pages,
        "content_security_policy": ["default-src 'self'"] * pages,
        "x_content_type_options": ["nosniff"] * pages,
        "referrer_policy": ["strict-origin-when-cross-origin"] * pages,
        "titles": titles,
        "meta_descriptions": descriptions,
        "canonical": urls.tolist(),
        "h1": [[f"Product {i}"] for i in range(pages)],
        "word_count": rng.integers(80, 1_500, pages).astype(np.int32),
        "content_hash": [f"{h:016x}" for h in simhash.tolist()],
        "simhash": simhash,
        "minhash": minhash.tolist(),
        "jsonld_types": [["Product"]] * pages,
        "jsonld_errors": [
            [] if rng.random() > 0.005 else ["Expecting value"] for _ in range(pages)
        ],
        "hreflang": [[] for _ in range(pages)],
        "outlinks_internal": np.full(pages, LINKS_PER_PAGE, np.int32),
    }
    for i in range(1, pages // 10, 2):  # hreflang pairs, every tenth pair broken
        pair = [{"lang": "en", "url": urls[i]}, {"lang": "de", "url": urls[i + 1]}]
        table["hreflang"][i] = pair
        table["hreflang"][i + 1] = pair if i % 20 else pair[1:]
    _write(folder, "pages", table, pages)
    live = [[m for m in g if status[m] == 200] for g in planted]
    near = [[urls[m] for m in g if any(_near(minhash, m, o) for o in g if o != m)] for g in live]
    (folder / "planted.json").write_text(json.dumps([g for g in near if len(g) > 1]))
    anchors = np.array(["Read more", "Product details", "Shop the category", "here"], dtype=object)
    part = 0
    for first in range(0, pages, LINK_CHUNK_PAGES):
        chunk = np.arange(first, min(first + LINK_CHUNK_PAGES, pages))
        sources = np.repeat(chunk, LINKS_PER_PAGE)
        targets = np.where(rng.random(len(sources)) < 0.3, rng.integers(0, 101, len(sources)),
                           rng.integers(0, pages, len(sources)))  # fmt: skip
        part = _write(folder, "links", {
            "from_url": urls[sources].tolist(), "to_url": urls[targets].tolist(),
            "kind": ["a"] * len(sources),
            "anchor": anchors[rng.integers(0, 4, len(sources))].tolist(),
            "nofollow": np.zeros(len(sources), bool), "is_internal": np.ones(len(sources), bool),
            "in_main": np.ones(len(sources), bool),
        }, len(sources), part)  # fmt: skip
    images = np.repeat(np.arange(pages), 2)
    _write(folder, "images", {
        "page_url": urls[images].tolist(),
        "src": [f"{BASE}/img/{i}.jpg" for i in range(len(images))],
        "alt": [None if a < 0.02 else "Product photo" for a in rng.random(len(images))],
        "width": ["800"] * len(images), "height": ["600"] * len(images),
        "is_internal": np.ones(len(images), bool),
    }, len(images))  # fmt: skip
    hops = np.flatnonzero(redirecting)
    _write(folder, "redirects", {
        "url": urls[hops].tolist(), "status": np.full(len(hops), 301, np.int32),
        "location": [f"{BASE}/"] * len(hops), "is_internal": np.ones(len(hops), bool),
    }, len(hops))  # fmt: skip
    _write(folder, "sitemap_urls", {
        "sitemap_url": [f"{BASE}/sitemap-{i // 40_000}.xml" for i in range(pages)],
        "url": urls.tolist(),
    }, pages)  # fmt: skip
    started = time.time()
    Manifest(crawl_id="bench", start_url=f"{BASE}/", status="finished",
             started_at=started, counts={"pages": pages}).write(folder)  # fmt: skip


def _near(minhash: np.ndarray, a: int, b: int, bits: int = 54) -> bool:
    """Whether two planted fingerprints are near copies at the default 90% (54 bits of 256)."""
    return int(np.bitwise_count(minhash[a] ^ minhash[b]).sum()) <= bits


def _write(folder: Path, name: str, columns: dict[str, object], rows: int, part: int = 0) -> int:
    """Write `rows` as part files numbered from `part`; the next free part number."""
    schema = SCHEMAS[name]
    arrays = [
        pa.array(columns[f.name], type=f.type) if f.name in columns else pa.nulls(rows, f.type)
        for f in schema
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    (folder / name).mkdir(parents=True, exist_ok=True)
    for start in range(0, rows, PART_ROWS):
        pq.write_table(table.slice(start, PART_ROWS), folder / name / f"part-{part:05d}.parquet")
        part += 1
    return part


def child(folder: str) -> None:
    """Run in a fresh process: the audit alone, timed, with its own peak RSS and, per phase,
    its wall and CPU seconds (CPU of every thread: DuckDB runs one per core, near_duplicate
    two). The phases are the shared views ("(views)": validating the parts, the dataset views,
    `refs`), each check, the priorities and tickets, and the issues file; they run one after
    another, so each one's CPU is the process's between two of them."""
    from marketloop.audit import engine
    from marketloop.audit.config import AuditSettings

    memory = os.environ.get("BENCH_AUDIT_MEMORY_LIMIT") or AuditSettings().memory_limit
    timings: dict[str, tuple[float, float]] = {}
    peaks: dict[str, float] = {}  # phase → the process's peak RSS (MB) when it ended
    last = [time.perf_counter(), time.process_time()]

    def tick(name: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        timings[name] = (now[0] - last[0], now[1] - last[1])
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        last[:] = now

    open_views, write_issues = engine.open_views, engine.write_issues

    @contextmanager
    def timed_views(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with open_views(*args, **kwargs) as con:
            tick("(views)")
            yield con

    def timed_write(*args: Any, **kwargs: Any) -> Any:
        tick("(priorities, tickets)")
        written = write_issues(*args, **kwargs)
        tick("(issues file)")
        return written

    engine.open_views, engine.write_issues = timed_views, timed_write  # type: ignore[assignment]
    started = time.perf_counter()
    settings = AuditSettings(memory_limit=memory)
    result = engine.audit(Path(folder), settings, progress=lambda check: tick(check.id))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    issues = pq.read_table(Path(folder) / "issues.parquet", columns=["check"])
    per_check = issues.group_by("check").aggregate([("check", "count")]).to_pylist()
    counts = {row["check"]: row["check_count"] for row in per_check}
    figures = {"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "issues": result.count,
               "tickets": len(result.tickets), "memory_limit": memory, "checks": timings,
               "peaks": peaks, "counts": counts}  # fmt: skip
    print(json.dumps(figures))


#: what the machine itself charges for the audit's kinds of work at each size, beside the
#: audit's phases: a linear scan, a grouping over one key per page (30 rows each, like the
#: links per URL: the hash table outgrows the CPU caches between 100k and 1M keys) and a random
#: read of one 32-byte fingerprint per page (near_duplicate's gathers)
BASELINE = {
    "scan of 30 rows per page": "SELECT sum(k) FROM t",
    "GROUP BY one key per page": "SELECT count(*) FROM (SELECT k, count(*) FROM t GROUP BY k)",
}


def baseline(pages: int, tries: int = 5) -> dict[str, float]:
    """Least CPU seconds (of `tries`) of each `BASELINE` query, and of the random gather, for
    `pages` (run in a fresh process, one DuckDB thread)."""
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    con.execute(f"CREATE TABLE t AS SELECT (i * 7919) % {pages} AS k "
                f"FROM range({pages * LINKS_PER_PAGE}) r(i)")  # fmt: skip
    rows = np.random.default_rng(1).integers(0, 2**63, (pages, 4), dtype=np.uint64)
    order = np.random.default_rng(2).permutation(pages)
    work = {name: (lambda q=q: con.execute(q).fetchall()) for name, q in BASELINE.items()}
    work["random read of one row per page"] = lambda: np.take(rows, order, axis=0)
    least = {}
    for name, run in work.items():
        times = []
        for _ in range(tries):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        least[name] = min(times)
    return least


def run_size(pages: int, keep: Path | None, repeat: int = 1) -> dict[str, Any]:
    """Generate (or reuse) a dataset of `pages` and audit it `repeat` times, each in a fresh
    process: the figures of the fastest run, with each phase's least wall and CPU time over the
    runs (the least disturbed: on a shared machine a phase is only ever slowed by the others)
    and the highest peak RSS."""
    tmp = None if keep else tempfile.TemporaryDirectory(prefix="bench-audit-")
    folder = (keep or Path(tmp.name if tmp else ".")) / f"crawl-{pages}"
    try:
        if not (folder / "planted.json").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            started = time.perf_counter()
            synthetic_crawl(folder, pages)
            print(f"audit bench: generated {pages:,} pages in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        runs = [_audit_once(pages, folder) for _ in range(max(1, repeat))]
        figures = min(runs, key=lambda run: run["seconds"])
        figures["checks"] = {
            phase: tuple(min(run["checks"][phase][i] for run in runs) for i in range(2))
            for phase in figures["checks"]
        }
        figures["peak_mb"] = max(run["peak_mb"] for run in runs)
        figures["runs"] = len(runs)
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_audit", "--baseline", str(pages)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures["baseline"] = json.loads(out.stdout.strip().splitlines()[-1])
        figures["recall"] = _recall(folder)
        figures["changed"] = _compare_counts(folder, figures["counts"])
        return figures
    finally:
        if tmp is not None:
            tmp.cleanup()


def _audit_once(pages: int, folder: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_audit", "--child", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"audit of {pages:,} pages failed: {last}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["load"] = max(load_before, os.getloadavg()[0])
    return figures


def _recall(folder: Path) -> tuple[int, int]:
    """(found, planted): planted near copies (indexable, within the threshold of another page
    of their group) that near_duplicate reports."""
    planted = {url for group in json.loads((folder / "planted.json").read_text()) for url in group}
    issues = pq.read_table(folder / "issues.parquet", columns=["check", "url"]).to_pylist()
    found = {i["url"] for i in issues if i["check"] == "near_duplicate"}
    return len(planted & found), len(planted)


def _compare_counts(folder: Path, counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Issues per check against the first audit of this dataset (kept in `counts.json` beside
    it, so a change that speeds the audit up can be checked to find the same issues): the
    checks whose count changed, with (before, now)."""
    kept = folder / "counts.json"
    if not kept.is_file():
        kept.write_text(json.dumps(counts, indent=1, sort_keys=True))
        return {}
    before: dict[str, int] = json.loads(kept.read_text())
    return {
        check: (before.get(check, 0), counts.get(check, 0))
        for check in sorted(before.keys() | counts.keys())
        if before.get(check, 0) != counts.get(check, 0)
    }


def report(pages: int, figures: dict[str, Any]) -> None:
    big = pages >= 1_000_000
    goal_s = GOAL_1M_SECONDS * pages / 1e6 if big else GOAL_SECONDS_PER_100K * pages / 100_000
    goal_mb = GOAL_1M_RSS_MB if big else GOAL_RSS_MB
    found, planted = figures["recall"]
    best = f" (the fastest of {figures['runs']} runs)" if figures.get("runs", 1) > 1 else ""
    print(f"  audit of {pages:,} pages{best}: {figures['seconds']:.1f} s = "
          f"{pages / figures['seconds']:,.0f} pages/s ({figures['cpu']:.1f} CPU s; load average "
          f"{figures['load']:.1f} on {os.cpu_count()} cores), peak RSS {figures['peak_mb']:.0f} "
          f"MB (DuckDB capped at {figures.get('memory_limit', '?')}), "
          f"{figures['issues']:,} issues in {figures['tickets']} tickets; near copies "
          f"found {found}/{planted}")  # fmt: skip
    print(
        f"  ratio to goal: speed {goal_s / figures['seconds']:.2f}× (goal {goal_s:.0f} s), "
        f"memory {goal_mb / figures['peak_mb']:.2f}× (goal {goal_mb:.0f} MB)"
    )
    changed = figures["changed"]
    print("  issues per check: " + (
        "changed against the first audit of this dataset: "
        + ", ".join(f"{c} {a:,} → {b:,}" for c, (a, b) in changed.items())
        if changed else "the same as the first audit of this dataset (counts.json)"))  # fmt: skip
    peaks: dict[str, float] = figures.get("peaks", {})
    if peaks:  # in phase order: how much each one raised the peak
        before = [0.0, *peaks.values()][:-1]
        rises = sorted(
            ((phase, mb - was) for (phase, mb), was in zip(peaks.items(), before, strict=True)),
            key=lambda rise: -rise[1],
        )
        print("  peak RSS raised most by: "
              + ", ".join(f"{phase} +{mb:.0f} MB" for phase, mb in rises[:4]))  # fmt: skip
    slowest = sorted(figures["checks"].items(), key=lambda kv: -kv[1][0])[:5]
    print(
        "  slowest checks (the first one run also builds the shared views): "
        + ", ".join(f"{c} {s[0]:.2f} s" for c, s in slowest)
    )


def growth_table(runs: dict[int, dict[str, Any]]) -> None:
    """Every phase's wall / CPU seconds per size and, between consecutive sizes, its CPU
    growth over the pages' growth (at most 1.0 is linear or better; timings of hundredths of
    a second are noise)."""
    sizes = sorted(runs)
    steps = list(itertools.pairwise(sizes))
    print(
        "  per phase, wall s / CPU s at "
        + ", ".join(f"{n:,}" for n in sizes)
        + "".join(f"; CPU growth ÷ pages growth {a:,} → {b:,}" for a, b in steps)
    )
    last = runs[sizes[-1]]["checks"]
    for check in sorted(last, key=lambda c: -last[c][1]):
        times = [runs[n]["checks"].get(check, (0.0, 0.0)) for n in sizes]
        cells = "  ".join(f"{wall:7.2f} /{cpu:7.2f}" for wall, cpu in times)
        print(f"    {check:32} {cells} {_growths([cpu for _, cpu in times], steps, 0.01)}")
    print("  the machine's own growth for the same kinds of work (CPU s, one thread, least of 5):")
    for name in runs[sizes[0]].get("baseline", {}):
        times = [runs[n]["baseline"][name] for n in sizes]
        cells = "  ".join(f"{t:15.4f}" for t in times)
        print(f"    {name:32} {cells} {_growths(times, steps, 1e-6)}")


def _growths(times: list[float], steps: list[tuple[int, int]], floor: float) -> str:
    """Between consecutive sizes, the time's growth divided by the pages' (`floor`: the least
    time divided by, below which a timing is noise)."""
    return "".join(
        f"  {(times[i + 1] / max(times[i], floor)) / (b / a):5.2f}"
        for i, (a, b) in enumerate(steps)
    )


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_AUDIT_PAGES", "100000").split(",")]
    keep = Path(os.environ["BENCH_AUDIT_DIR"]) if os.environ.get("BENCH_AUDIT_DIR") else None
    repeat = int(os.environ.get("BENCH_AUDIT_REPEAT", "1"))
    runs = {}
    for pages in sizes:
        runs[pages] = run_size(pages, keep, repeat)
        report(pages, runs[pages])
    growth_table(runs)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    elif sys.argv[1:2] == ["--baseline"]:
        print(json.dumps(baseline(int(sys.argv[2]))))
    else:
        main()
