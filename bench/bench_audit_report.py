"""The audit's outputs at scale: `marketloop audit` with its HTML report and CSV/JSON, and
`marketloop crawl-export`, on the synthetic crawl of `bench audit` (issue 16).

Each command runs as the user runs it, in its own process; wall seconds, CPU seconds and peak
RSS of the process tree (sampled every 50 ms) and the size of the file written are reported.
`marketloop audit` audits before it writes, so its figures include the audit (`bench audit`
reports that part alone). Goals: the report and the exports complete at 1,000,000 pages under
the audit's own 2 GB peak RSS, with memory that does not grow with the rows written (the
report lists at most `MAX_ROWS_PER_CHECK` issues per check; CSV, JSON and Parquet are
streamed).

    python -m bench audit_report                              # 100,000 pages
    BENCH_AUDIT_PAGES=1000000 BENCH_AUDIT_DIR=/tmp/a1m python -m bench audit_report
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_audit import synthetic_crawl
from bench.bench_crawl import SRC, measure
from marketloop.audit.report import MAX_ROWS_PER_CHECK

GOAL_RSS_MB = 2048.0
COMMANDS = {
    "audit --format html": ("audit", "{crawl}", "--format", "html", "--out", "{out}/audit.html"),
    "audit --format csv": ("audit", "{crawl}", "--format", "csv", "--out", "{out}/issues.csv"),
    "crawl-export pages csv": ("crawl-export", "{crawl}", "pages", "--out", "{out}/pages.csv"),
    "crawl-export links parquet": (
        *("crawl-export", "{crawl}", "links", "--format", "parquet"),
        *("--out", "{out}/links.parquet"),
    ),
}


def main() -> None:
    pages = int(os.environ.get("BENCH_AUDIT_PAGES", "100000").split(",")[-1])
    keep = os.environ.get("BENCH_AUDIT_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        crawl = Path(keep or tmp) / f"crawl-{pages}"
        if not (crawl / "planted.json").is_file():
            shutil.rmtree(crawl, ignore_errors=True)
            started = time.perf_counter()
            synthetic_crawl(crawl, pages)
            print(f"generated {pages:,} pages in {time.perf_counter() - started:.1f} s")
        out = Path(tmp) / "out"
        out.mkdir()
        env = {**os.environ, "PYTHONPATH": str(SRC), "MARKETLOOP_WORKSPACE": str(Path(tmp) / "ws")}
        print(f"\naudit outputs of a {pages:,}-page synthetic crawl (at most "
              f"{MAX_ROWS_PER_CHECK:,} rows per check in the report)")  # fmt: skip
        print(f"{'command':<28}{'seconds':>9}{'CPU s':>8}{'peak RSS MB':>13}{'file MB':>9}  load")
        for name, template in COMMANDS.items():
            args = [a.format(crawl=crawl, out=out) for a in template]
            seconds, peak, cpu = measure([sys.executable, "-m", "marketloop", *args], env)
            written = Path(args[-1])
            mb = peak / 2**20
            verdict = "PASS" if mb < GOAL_RSS_MB else "FAIL"
            print(
                f"{name:<28}{seconds:>9.1f}{cpu:>8.1f}{mb:>13.0f}"
                f"{written.stat().st_size / 2**20:>9.1f}  {os.getloadavg()[0]:.1f}  "
                f"(goal < {GOAL_RSS_MB:.0f} MB) {verdict}"
            )
            if written.suffix == ".csv":
                with written.open("rb") as lines:
                    rows = sum(1 for _ in lines) - 1
                print(f"{'':<28}{rows:,} lines after the header")
            written.unlink()
