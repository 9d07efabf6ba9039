"""`quality run`: check the warehouse and record the result.

    1. inventory   which source tables exist (one short connection)
    2. freshness   `dbt source freshness` (load and data freshness per source)
    3. build       `dbt build`: staging models, schema tests, intermediate and marts, in DAG order
                   (a model downstream of a failing error-severity test is skipped)
    4. record      row counts (in one query; intermediate views are not counted, see
                   `inventory.counted`), columns and dlt loads are read, compared with history,
                   and the run is written to marketloop_health in one transaction (one short
                   connection)

The warehouse is never held open while dbt runs (DuckDB allows one writing process per file).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marketloop.config import Settings
from marketloop.errors import QualityError
from marketloop.quality import history, inventory
from marketloop.quality.config import QualitySettings
from marketloop.quality.contract import CONTENT, FILES, SOURCES, TRACKED_DATASETS
from marketloop.quality.dbt import Dbt, DbtDirs, NodeCallback, dbt_vars
from marketloop.quality.health import VolumeCheck, schema_changes, volume_check
from marketloop.quality.published import load_published
from marketloop.quality.report import RunFacts, build_report
from marketloop.quality.results import (
    FreshnessResult,
    NodeResult,
    freshness_results,
    node_results,
)
from marketloop.quality.warehouse import Target, Warehouse, connect, target_from_settings
from marketloop.workspace import Workspace

PhaseCallback = Callable[[str], None]


def run_quality(
    settings: Settings,
    *,
    full_refresh: bool = False,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    on_phase: PhaseCallback | None = None,
    on_node: NodeCallback | None = None,
) -> dict[str, Any]:
    """Run freshness, build and tests, record the run, and return its report (JSON-ready).
    `select` and `exclude` are dbt node selectors that narrow the build (not freshness)."""
    phase = on_phase or (lambda _: None)
    target = target_from_settings(settings)
    started = datetime.now(UTC)
    build = [
        *(["--full-refresh"] if full_refresh else []),
        *(["--select", *select] if select else []),
        *(["--exclude", *exclude] if exclude else []),
    ]
    if target.kind == "dbt":  # a warehouse only dbt reaches (quality/external.py)
        from marketloop.quality.external import run_through_dbt

        return run_through_dbt(settings, target, build, phase, on_node)

    phase("inventory")
    with connect(target) as wh:
        present = inventory.present_tables(wh, TRACKED_DATASETS)
    sources = {name: present[name] for name in SOURCES if name in present}
    require_data(target, sources)

    root = Workspace(settings.workspace).root.resolve()
    phase("published briefs")
    if load_published(settings):
        with connect(target) as wh:
            present |= inventory.present_tables(wh, [CONTENT])
    dbt = Dbt(target, settings.quality, DbtDirs(root / "dbt"), on_node)
    extra = [name for name in (FILES, CONTENT) if name in present]  # load freshness, briefs
    in_dbt = sources | {name: present[name] for name in extra}
    outcome = check_with_dbt(dbt, dbt_vars(in_dbt, settings.quality), build, phase)

    phase("record")
    with connect(target) as wh:
        return _record(wh, settings.quality, started, present, outcome)


@dataclass(frozen=True)
class DbtOutcome:
    freshness: list[FreshnessResult]
    models: list[NodeResult]
    tests: list[NodeResult]
    dbt_version: str


def check_with_dbt(
    dbt: Dbt, variables: dict[str, Any], build: list[str], phase: PhaseCallback
) -> DbtOutcome:
    with dbt.session():
        dbt.clear_artifacts()
        phase("freshness")
        dbt.invoke(["source", "freshness"], variables)
        freshness = freshness_results(dbt.artifact("sources.json"))
        phase("build")
        dbt.invoke(["build", *build], variables)
        run_results = dbt.artifact("run_results.json")
        models, tests = node_results(run_results, dbt.artifact("manifest.json"))
    version = str(run_results.get("metadata", {}).get("dbt_version", ""))
    return DbtOutcome(freshness, models, tests, version)


def _record(
    wh: Warehouse,
    quality: QualitySettings,
    started: datetime,
    present: dict[str, list[str]],
    outcome: DbtOutcome,
) -> dict[str, Any]:
    """Compare what the warehouse holds now with history, write the run, return its report."""
    history.ensure(wh)
    intermediate, marts = (f"{quality.schema_prefix}_{s}" for s in ("intermediate", "marts"))
    relations = inventory.tracked(inventory.relations(wh, [*present, intermediate, marts]))
    counts = inventory.row_counts(wh, inventory.counted(relations, intermediate))
    columns = inventory.columns(wh, relations)
    past_runs = history.recent_runs(wh, quality.anomaly_window)
    past_counts = history.counts_by_run(wh, [r["run_id"] for r in past_runs])
    previous_columns = history.columns_of_run(wh, past_runs[-1]["run_id"]) if past_runs else None
    report = build_report(
        RunFacts(
            run_id=f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            started_at=started,
            finished_at=datetime.now(UTC),
            warehouse=wh.target.display,
            dbt_version=outcome.dbt_version,
            present=present,
            freshness=outcome.freshness,
            models=outcome.models,
            tests=outcome.tests,
            volumes=_volumes(counts, past_runs, past_counts, quality),
            changes=schema_changes(previous_columns, columns),
            loads=inventory.recent_loads(wh, present),
            past_runs=past_runs,
            past_counts=past_counts,
        )
    )
    nodes = [*outcome.models, *outcome.tests]
    history.record(wh, report, counts, columns, outcome.freshness, nodes)
    return report


def latest_report(settings: Settings) -> dict[str, Any]:
    """The report of the newest recorded run."""
    target = target_from_settings(settings)
    if target.kind == "dbt":
        from marketloop.quality import external

        return external.latest_report(settings, target)
    with connect(target, read_only=target.kind == "duckdb") as wh:
        report = history.latest_report(wh) if history.exists(wh) else None
    if report is None:
        raise QualityError(
            f"no quality run is recorded in {target.display}",
            hint="run `marketloop quality run` first",
        )
    return report


def _volumes(
    counts: dict[str, int],
    past_runs: list[dict[str, Any]],
    past_counts: dict[str, dict[str, int]],
    quality: QualitySettings,
) -> list[VolumeCheck]:
    checks = []
    for table, count in counts.items():
        seen = past_counts.get(table, {})
        previous = [seen[run["run_id"]] for run in past_runs if run["run_id"] in seen]
        checks.append(
            volume_check(
                table,
                count,
                previous,
                z_threshold=quality.anomaly_z,
                window=quality.anomaly_window,
                min_history=quality.anomaly_min_history,
            )
        )
    return checks


def require_data(target: Target, sources: dict[str, list[str]]) -> None:
    if any(not table.startswith("_dlt_") for tables in sources.values() for table in tables):
        return
    raise QualityError(
        f"the warehouse {target.display} holds none of the sources {', '.join(SOURCES)}",
        hint="load data first: `marketloop ingest ga4|gsc|hubspot|crawl` (or `marketloop demo`)",
    )
