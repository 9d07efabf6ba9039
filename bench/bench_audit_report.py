"""The audit's outputs at scale: `marketloop audit` with its HTML report and CSV/JSON, and
`marketloop crawl-export`, on the synthetic crawl of `bench audit` (issue 16).

`marketloop audit --format html` audits, then writes the report. The issues' CSV and JSON are
then timed from the stored `issues.parquet` with the writers `--format csv/json` use (a second
audit would only repeat the first's time), and `crawl-export` writes pages as CSV and links as
Parquet. `BENCH_REPORT_ONLY=csv,pages` runs only the steps whose names contain these words.

Each command runs as the user runs it, in its own process; wall seconds, CPU seconds and peak
RSS of the process tree (sampled every 50 ms) and the size of the file written are reported.
`marketloop audit` audits before it writes, so its figures include the audit (`bench audit`
reports that part alone). Goals: the report and the exports complete at 1,000,000 pages under
the audit's own 2 GB peak RSS; the report lists at most `MAX_ROWS_PER_CHECK` issues per
check, and CSV, JSON and Parquet are written in batches, so what they add to the memory of the
issues table (or of DuckDB) does not grow with the rows written.

    python -m bench audit_report                              # 100,000 pages
    BENCH_AUDIT_PAGES=1000000 BENCH_AUDIT_DIR=/tmp/a1m python -m bench audit_report
    BENCH_REPORT_ONLY=issues BENCH_AUDIT_DIR=/tmp/a1m python -m bench audit_report
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from bench.bench_audit import synthetic_crawl
from bench.bench_crawl import SRC, measure
from marketloop.audit.report import MAX_ROWS_PER_CHECK

GOAL_RSS_MB = 2048.0
#: the issues of the stored audit (DIR/issues.parquet) written as `marketloop audit --format
#: csv/json` writes them (audit/shown.py), without auditing a second time
STREAM = (
    "import sys, pyarrow.parquet as pq; from marketloop.audit import shown; "
    "table = pq.read_table(sys.argv[1]); fmt = sys.argv[2]; "
    "out = open(sys.argv[3], 'w', encoding='utf-8', newline=''); "
    "(shown.write_csv if fmt == 'csv' else shown.write_json)(table, out); out.close()"
)
COMMANDS = {
    "audit --format html": ("-m", "marketloop", "audit", "{crawl}", "--format", "html",
                            "--out", "{out}/audit.html"),
    "issues as csv": ("-c", STREAM, "{crawl}/issues.parquet", "csv", "{out}/issues.csv"),
    "issues as json": ("-c", STREAM, "{crawl}/issues.parquet", "json", "{out}/issues.json"),
    "crawl-export pages csv": ("-m", "marketloop", "crawl-export", "{crawl}", "pages",
                               "--out", "{out}/pages.csv"),
    "crawl-export links parquet": ("-m", "marketloop", "crawl-export", "{crawl}", "links",
                                   "--format", "parquet", "--out", "{out}/links.parquet"),
}  # fmt: skip


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
        only = [n.strip() for n in os.environ.get("BENCH_REPORT_ONLY", "").split(",") if n.strip()]
        for name, template in COMMANDS.items():
            if only and not any(word in name for word in only):
                continue
            if name.startswith("issues") and not (crawl / "issues.parquet").is_file():
                print(f"{name:<28}skipped: no issues.parquet (run the audit first)")
                continue
            args = [a.format(crawl=crawl, out=out) for a in template]
            seconds, peak, cpu = measure([sys.executable, *args], env)
            written = Path(args[-1])
            mb = peak / 2**20
            verdict = "PASS" if mb < GOAL_RSS_MB else "FAIL"
            print(
                f"{name:<28}{seconds:>9.1f}{cpu:>8.1f}{mb:>13.0f}"
                f"{written.stat().st_size / 2**20:>9.1f}  {os.getloadavg()[0]:.1f}  "
                f"(goal < {GOAL_RSS_MB:.0f} MB) {verdict}"
            )
            if name == "issues as csv":
                with written.open(encoding="utf-8", newline="") as lines:
                    rows = sum(1 for _ in csv.reader(lines)) - 1
                stored = pq.ParquetFile(crawl / "issues.parquet").metadata.num_rows
                print(f"{'':<28}{rows:,} rows of {stored:,} issues")
            written.unlink()
