"""Data quality speed on a large warehouse (`make bench BENCH=quality`).

A DuckDB warehouse of the contract's shape is made the way production makes it (a dlt load of
the sample data creates every table and dlt's `_dlt_loads`), then filled in bulk with SQL:
N Search Console rows (1,000,000 by default: 90 days, 2,000 pages, ~11,000 queries, unique on the
merge key) and N/10 GA4 page rows. Then, in this process:

    full         `quality run --full-refresh`: freshness, every model and mart from scratch, tests
    incremental  one new day of rows is added in a new load and `quality run` runs again: the
                 incremental marts rebuild the new load's day and the lookback window (3 days),
                 the views and tests run as before

Goals (no open-source peer does freshness + build + tests + health history in one step; the
"peer" is dbt itself, timed inside the same runs):
    incremental marts after a new day <= 50% of their full refresh (tests still scan every row)
    marketloop's own work (inventory, row counts, columns, history, report) <= 20% of dbt's time

    python -m bench quality
    BENCH_QUALITY_ROWS=200000 python -m bench quality
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketloop.config import load_settings
from marketloop.quality.run import run_quality
from marketloop.quality.sample import demo_data, load
from marketloop.quality.warehouse import connect, target_from_settings

GOAL_INCREMENTAL_SHARE = 0.5
INCREMENTAL_MODELS = ("int_page_daily", "query_performance", "query_page_performance")
GOAL_OVERHEAD_SHARE = 0.2
DAYS = 90

GSC_ROWS = """
insert into gsc.search_analytics by name
select
    'https://www.example.com/' as site_url, 'web' as search_type,
    cast(current_date - cast({day} as integer) as date) as date,
    'query ' || (i // {days}) as query,
    'https://www.example.com/p/' || ((i // {days}) % 2000) as page,
    ['usa', 'gbr', 'deu'][1 + (i // {days}) % 3] as country,
    ['DESKTOP', 'MOBILE', 'TABLET'][1 + (i // {days} // 3) % 3] as device,
    (i * 13) % 10 as clicks, 10 + (i * 7) % 500 as impressions,
    ((i * 13) % 10) / (10 + (i * 7) % 500) as ctr, 1.0 + i % 40 as position,
    'final' as data_state, '{load_id}' as _dlt_load_id, md5(i::varchar || '{day}') as _dlt_id
from range({rows}) t(i)
"""
GA4_ROWS = """
insert into ga4.pages by name
select
    'properties/123456' as property_id, cast(current_date - cast({day} as integer) as date) as date,
    'www.example.com' as host_name, '/p/' || (i // {days}) as page_path,
    1 + i % 50 as sessions, 1 + i % 40 as active_users, 2 + i % 90 as screen_page_views,
    (i % 5)::double as key_events, 0.6 as engagement_rate, (i % 3) * 10.0 as total_revenue,
    false as is_other_row, false as thresholding_applied,
    '{load_id}' as _dlt_load_id, md5(i::varchar || 'ga4{day}') as _dlt_id
from range({rows}) t(i)
"""


def fill(target: Any, gsc_rows: int, ga4_rows: int, *, new_day: bool = False) -> None:
    """Bulk rows for DAYS days (i % DAYS picks the day), or one more day with `new_day`, which
    comes in a newer load (as a real one would): incremental models rebuild by load."""
    with connect(target) as wh:
        load_id = wh.rows("select max(load_id) as id from gsc._dlt_loads")[0]["id"]
        if new_day:
            load_id = f"{time.time():.6f}"
        days = 1 if new_day else DAYS
        day = "0" if new_day else f"1 + (i % {DAYS})"
        for sql, rows in ((GSC_ROWS, gsc_rows), (GA4_ROWS, ga4_rows)):
            wh.execute(sql.format(day=day, days=days, rows=rows, load_id=load_id))


def timed_run(settings: Any, full_refresh: bool) -> dict[str, float]:
    marks: list[tuple[str, float]] = []
    report = run_quality(
        settings,
        full_refresh=full_refresh,
        on_phase=lambda phase: marks.append((phase, time.perf_counter())),
    )
    marks.append(("end", time.perf_counter()))
    phases = {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])}
    phases["total"] = marks[-1][1] - marks[0][1]
    phases["dbt"] = phases["freshness"] + phases["build"]
    phases["ours"] = phases["inventory"] + phases.get("published briefs", 0.0) + phases["record"]
    phases["incremental models"] = sum(
        m["seconds"] for m in report["models"] if m["name"] in INCREMENTAL_MODELS
    )
    failing = [t["name"] for t in report["tests"] if t["status"] != "pass"]
    assert report["summary"]["models"].get("error") is None, report["reasons"]
    assert not failing, failing
    return phases


def main() -> None:
    gsc_rows = int(os.environ.get("BENCH_QUALITY_ROWS", "1000000"))
    ga4_rows = gsc_rows // 10
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        os.chdir(tmp)
        settings = load_settings(overrides={"workspace": Path(tmp) / "ws"})
        target = target_from_settings(settings)
        assert target.path is not None
        target.path.parent.mkdir(parents=True)
        started = time.perf_counter()
        for dataset, tables in demo_data(datetime.now(UTC).date(), days=3).items():
            load(target, dataset, tables, pipelines_dir=Path(tmp) / "dlt")
        fill(target, gsc_rows, ga4_rows)
        print(f"warehouse: {gsc_rows:,} GSC rows + {ga4_rows:,} GA4 rows over {DAYS} days "
              f"({target.path.stat().st_size / 1e6:,.0f} MB) made in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip

        import dbt.cli.main  # noqa: F401 - imported once per process; not what is measured

        full = timed_run(settings, full_refresh=True)
        fill(target, gsc_rows // DAYS, ga4_rows // DAYS, new_day=True)
        incremental = timed_run(settings, full_refresh=False)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, phases in (("full", full), ("incremental", incremental)):
        print(
            f"{name:>12}: {phases['total']:6.1f} s  (freshness {phases['freshness']:.1f} s, "
            f"build+tests {phases['build']:.1f} s of which incremental models "
            f"{phases['incremental models']:.1f} s, marketloop's own work {phases['ours']:.1f} s)"
        )
    print(f"full build throughput: {gsc_rows / full['build']:,.0f} GSC rows/s through the marts")
    share = incremental["incremental models"] / full["incremental models"]
    print(
        f"incremental models, new day / full refresh: {share:.2f} "
        f"(goal <= {GOAL_INCREMENTAL_SHARE}) -> ratio to goal {share / GOAL_INCREMENTAL_SHARE:.2f}"
    )
    print(
        f"  whole build+tests: {incremental['build'] / full['build']:.2f}, whole runs: "
        f"{incremental['total'] / full['total']:.2f} (tests scan every row on each run; the "
        "first run also parses the project)"
    )
    overhead = max(full["ours"] / full["dbt"], incremental["ours"] / incremental["dbt"])
    print(
        f"marketloop overhead over dbt: {overhead:.2f} (goal <= {GOAL_OVERHEAD_SHARE}) -> "
        f"ratio to goal {overhead / GOAL_OVERHEAD_SHARE:.2f}"
    )
    print(f"peak RSS: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
