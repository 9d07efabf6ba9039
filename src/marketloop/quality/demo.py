"""The demo's data quality step: check the warehouse the ingest step filled and write the data
health report. Until something has been ingested, a month of sample data is loaded with dlt first,
so the demo always shows a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from marketloop.clikit import console
from marketloop.config import app_db_url
from marketloop.integrations.published import mark_live, published_briefs
from marketloop.quality import inventory
from marketloop.quality.contract import SOURCES
from marketloop.quality.docs import generate_docs
from marketloop.quality.outcomes import read_outcomes, write_outcomes_html
from marketloop.quality.progress import dbt_progress
from marketloop.quality.report_html import write_html
from marketloop.quality.run import run_quality
from marketloop.quality.sample import demo_data, load
from marketloop.quality.warehouse import Target, connect, target_from_settings

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

DEMO_LIVE_DAYS = 21
CONTENT_MARTS = ["stg_content__published_briefs+", "content_decay"]


def quality_step(run: DemoRun) -> None:
    target = target_from_settings(run.settings)
    if not _has_source_data(target):
        console.print("Nothing ingested yet: loading a month of sample data for www.example.com")
        for dataset, tables in demo_data(datetime.now(UTC).date()).items():
            load(target, dataset, tables, pipelines_dir=run.workspace.root / "dlt")
    with dbt_progress() as (on_phase, on_node):
        report = run_quality(run.settings, on_phase=on_phase, on_node=on_node)
    docs = run.outputs["dbt docs"] = generate_docs(run.settings)
    path = write_html(report, run.workspace.reports_dir / "data-health.html", docs)
    console.print(f"data health: [bold]{report['status']}[/] ({len(report['tests'])} tests)")
    run.outputs["data health report"] = path


def close_loop_step(run: DemoRun) -> None:
    """Measure what the demo published. The demo's briefs were published a moment ago, so it
    pretends they went live three weeks ago (`briefs live --at`), runs the quality build again
    for the content marts only, and writes the before/after report."""
    db = app_db_url(run.settings)
    live = datetime.now(UTC) - timedelta(days=DEMO_LIVE_DAYS)
    measured = [p for p in published_briefs(db) if p["url"]]
    for brief in measured:
        mark_live(db, brief["slug"], brief["url"], live)
    console.print(f"{len(measured)} published briefs with a URL, live since {live:%Y-%m-%d}")
    with dbt_progress() as (on_phase, on_node):
        run_quality(run.settings, select=CONTENT_MARTS, on_phase=on_phase, on_node=on_node)
    outcomes = read_outcomes(run.settings)
    for row in outcomes.published:
        console.print(
            f"  {row['slug']}: {row['clicks_before']} clicks in the 28 days before, "
            f"{row['clicks_after']} after",
            markup=False,
        )
    console.print(f"{len(outcomes.decaying)} decaying page(s)")
    path = write_outcomes_html(outcomes, run.workspace.reports_dir / "content-performance.html")
    run.outputs["content performance"] = path


def _has_source_data(target: Target) -> bool:
    if target.kind == "duckdb" and not (target.path and target.path.is_file()):
        return False
    with connect(target) as wh:
        present = inventory.present_tables(wh, SOURCES)
    return any(not table.startswith("_dlt_") for tables in present.values() for table in tables)
