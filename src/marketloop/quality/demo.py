"""The demo's data quality step: check the warehouse the ingest step filled and write the data
health report. Until something has been ingested, a month of sample data is loaded with dlt first,
so the demo always shows a report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from marketloop.clikit import console
from marketloop.quality import inventory
from marketloop.quality.cli import dbt_progress
from marketloop.quality.contract import SOURCES
from marketloop.quality.report_html import write_html
from marketloop.quality.run import run_quality
from marketloop.quality.sample import demo_data, load
from marketloop.quality.warehouse import Target, connect, target_from_settings

if TYPE_CHECKING:
    from marketloop.demo import DemoRun


def quality_step(run: DemoRun) -> None:
    target = target_from_settings(run.settings)
    if not _has_source_data(target):
        console.print("Nothing ingested yet: loading a month of sample data for www.example.com")
        for dataset, tables in demo_data(datetime.now(UTC).date()).items():
            load(target, dataset, tables, pipelines_dir=run.workspace.root / "dlt")
    with dbt_progress() as (on_phase, on_node):
        report = run_quality(run.settings, on_phase=on_phase, on_node=on_node)
    path = write_html(report, run.workspace.reports_dir / "data-health.html")
    console.print(f"data health: [bold]{report['status']}[/] ({len(report['tests'])} tests)")
    run.outputs["data health report"] = path


def _has_source_data(target: Target) -> bool:
    if target.kind == "duckdb" and not (target.path and target.path.is_file()):
        return False
    with connect(target) as wh:
        present = inventory.present_tables(wh, SOURCES)
    return any(not table.startswith("_dlt_") for tables in present.values() for table in tables)
