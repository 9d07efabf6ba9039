"""`quality run` on a warehouse marketloop reaches through dbt only (quality/adapters.py):
BigQuery, Snowflake, Databricks, Redshift, ...

    1. inventory   which contract tables exist, asked through dbt (`macros/inventory.sql`)
    2. freshness and build, exactly as on DuckDB and PostgreSQL (quality/run.py)
    3. the report is kept as JSON in the workspace (`WORKSPACE/dbt/latest-report.json`)

marketloop opens no connection of its own there, so what needs one is left out and the report
says so: row counts, volume anomalies, schema changes, dlt's load list and the history in
`marketloop_health`. The verdict and exit status come from freshness, models and tests alone.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketloop.config import Settings
from marketloop.errors import QualityError
from marketloop.quality.contract import CONTENT, CONTRACT, DLT_LOADS, FILES, SOURCES
from marketloop.quality.dbt import Dbt, DbtDirs, NodeCallback, dbt_vars
from marketloop.quality.report import RunFacts, build_report
from marketloop.quality.warehouse import Target
from marketloop.workspace import Workspace

REPORT_FILE = "latest-report.json"
NOTE = (
    "row counts, volume anomalies, schema changes, dlt loads and run history are kept for "
    "DuckDB and PostgreSQL warehouses only; this {adapter} warehouse is checked through dbt"
)


def run_through_dbt(
    settings: Settings,
    target: Target,
    build: list[str],
    phase: Any,
    on_node: NodeCallback | None,
) -> dict[str, Any]:
    from marketloop.quality.published import TABLE, load_published
    from marketloop.quality.run import check_with_dbt, require_data

    started = datetime.now(UTC)
    dirs = DbtDirs(Workspace(settings.workspace).ensure().root.resolve() / "dbt")
    dbt = Dbt(target, settings.quality, dirs, on_node)
    phase("inventory")
    candidates = {name: [*CONTRACT[name], DLT_LOADS] for name in SOURCES}
    candidates |= {FILES: [DLT_LOADS], CONTENT: [TABLE]}
    with dbt.session():
        present = dbt.inventory(candidates)
    sources = {name: present[name] for name in SOURCES if name in present}
    require_data(target, sources)
    phase("published briefs")
    if load_published(settings):
        present[CONTENT] = [TABLE]
    in_dbt = sources | {name: present[name] for name in (FILES, CONTENT) if name in present}
    outcome = check_with_dbt(dbt, dbt_vars(in_dbt, settings.quality), build, phase)
    phase("record")
    report = build_report(
        RunFacts(
            run_id=f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            started_at=started,
            finished_at=datetime.now(UTC),
            warehouse=target.display,
            dbt_version=outcome.dbt_version,
            present=present,
            freshness=outcome.freshness,
            models=outcome.models,
            tests=outcome.tests,
            volumes=[],
            changes=[],
            loads=[],
            past_runs=[],
            past_counts={},
        )
    )
    report["notes"].append(NOTE.format(adapter=target.adapter))
    path = dirs.root / REPORT_FILE
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def latest_report(settings: Settings, target: Target) -> dict[str, Any]:
    path = Workspace(settings.workspace).root / "dbt" / REPORT_FILE
    try:
        loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise QualityError(
            f"no quality run of the {target.display} is recorded in {path}",
            hint="run `marketloop quality run` first",
        ) from None
    return loaded
