"""Clustering 100,000 keywords in `lexical` and `serp` mode: time, peak RSS, quality.

Goals (issue 4): under 60 s and under 2 GB each on 2 cores, adjusted Rand index ≥ 0.9 against
the planted topics of `marketloop.sample.keywords`. Each mode runs in its own process, from the
CSV files to named clusters with intent and opportunity, so time and peak RSS are the whole job.

Wall time depends on what else the machine runs, so CPU time (user + system) is printed too.

    python -m bench keywords            # 100,000 keywords
    BENCH_KEYWORDS=20000 python -m bench keywords
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS, GOAL_MB, GOAL_ARI = 60.0, 2048.0, 0.9
RUNS = [("lexical", "soft"), ("serp", "soft"), ("serp", "hard"), ("serp", "moderate")]


def main() -> None:
    from marketloop.sample.keywords import generate

    size = int(os.environ.get("BENCH_KEYWORDS", "100000"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample = generate(size, seed=1)
        sample.write(folder)
        truth = {r.keyword: label for r, label in zip(sample.records, sample.labels, strict=True)}
        (folder / "truth.json").write_text(json.dumps(truth))
        load = os.getloadavg()[0]
        print(f"keywords: {len(sample.records):,} in {len(sample.topics):,} planted topics")
        print(f"load average {load:.1f} on {os.cpu_count()} cores (wall time grows with load)")
        for mode, strictness in RUNS:
            _report(mode, strictness, _run_child(folder, mode, strictness))


def _run_child(folder: Path, mode: str, strictness: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_keywords", str(folder), mode, strictness],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _report(mode: str, strictness: str, r: dict[str, float]) -> None:
    label = f"{mode}" + (f"/{strictness}" if mode == "serp" else "")
    print(
        f"{label:<14} {r['seconds']:6.1f} s wall ({r['seconds'] / GOAL_SECONDS:.2f}× goal), "
        f"{r['cpu']:5.1f} s CPU  "
        f"peak {r['peak_mb']:6.0f} MB ({r['peak_mb'] / GOAL_MB:.2f}× goal)  "
        f"ARI {r['ari']:.3f} (goal ≥ {GOAL_ARI})  clusters {int(r['clusters']):,}"
    )


def _child(folder: Path, mode: str, strictness: str) -> None:
    from sklearn.metrics import adjusted_rand_score

    from marketloop.keywords.config import KeywordsSettings
    from marketloop.keywords.pipeline import cluster_keywords
    from marketloop.keywords.reader import read_keywords, read_serps

    truth = json.loads((folder / "truth.json").read_text())
    start, cpu_start = time.perf_counter(), time.process_time()
    records, _ = read_keywords(folder / "keywords.csv")
    serps = read_serps(folder / "serps.csv", 10)[0] if mode == "serp" else None
    settings = KeywordsSettings(mode=mode, strictness=strictness)  # type: ignore[arg-type]
    clusters = cluster_keywords(records, settings, serps=serps)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    found = {k: i for i, c in enumerate(clusters) for k in c.keywords}
    keywords = list(truth)
    ari = adjusted_rand_score([truth[k] for k in keywords], [found[k] for k in keywords])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_mb,
        "ari": ari,
        "clusters": len(clusters),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    _child(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
