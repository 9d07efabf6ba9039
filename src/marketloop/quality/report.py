"""The data health report as a JSON document, one per run (stored in marketloop_health.runs;
rendered to HTML by `report_html`).

`build_report` is pure: it turns what a run found (`RunFacts`) into the document, deciding the
overall status with `health.overall_status`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketloop.clikit import to_jsonable
from marketloop.quality.contract import CONTRACT, DLT_LOADS, FILES, SOURCES
from marketloop.quality.health import SchemaChange, VolumeCheck, overall_status
from marketloop.quality.results import FreshnessResult, NodeResult

STATUS_RULE = (
    "fail: a source past its error freshness threshold, an error-severity test that found rows, "
    "or a model or check that could not run; warn: a source past its warn threshold, a "
    "warn-severity test that found rows, a volume anomaly, or a removed or retyped column; "
    "pass: otherwise"
)
#: marts and what they need, for the notes on absent sources
MART_NEEDS = {
    "page_performance": ("ga4.pages", "gsc.search_analytics"),
    "query_performance": ("gsc.search_analytics",),
    "query_page_performance": ("gsc.search_analytics",),
    "landing_page_leads": ("hubspot.contacts",),
    "content_decay": ("gsc.search_analytics",),
}


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    started_at: datetime
    finished_at: datetime
    warehouse: str
    dbt_version: str
    present: Mapping[str, list[str]]  # dataset -> tables in the warehouse
    freshness: list[FreshnessResult]
    models: list[NodeResult]
    tests: list[NodeResult]
    volumes: list[VolumeCheck]
    changes: list[SchemaChange]
    loads: list[dict[str, Any]]
    past_runs: list[dict[str, Any]]  # oldest first: run_id, started_at, status, tests
    past_counts: Mapping[str, Mapping[str, int]]  # table -> run_id -> rows


def build_report(facts: RunFacts) -> dict[str, Any]:
    status, reasons = overall_status(
        facts.freshness, facts.models, facts.tests, facts.volumes, facts.changes
    )
    this_run = {
        "run_id": facts.run_id,
        "started_at": facts.started_at,
        "status": status,
        "tests": dict(Counter(t.status for t in facts.tests)),
    }
    runs = [*facts.past_runs, this_run]
    report = {
        "run_id": facts.run_id,
        "started_at": facts.started_at,
        "finished_at": facts.finished_at,
        "warehouse": facts.warehouse,
        "dbt_version": facts.dbt_version,
        "status": status,
        "status_rule": STATUS_RULE,
        "reasons": reasons,
        "notes": absence_notes(facts.present),
        "summary": {
            "freshness": _tally(f.status for f in facts.freshness),
            "models": _tally(m.status for m in facts.models),
            "tests": _tally(t.status for t in facts.tests),
            "anomalies": sum(v.anomaly for v in facts.volumes),
            "schema_changes": len(facts.changes),
        },
        "sources": _sources(facts.present, facts.freshness),
        "freshness": [f.to_json() for f in facts.freshness],
        "models": [m.to_json() for m in facts.models],
        "tests": [t.to_json() for t in facts.tests],
        "volumes": [v.to_json() for v in facts.volumes],
        "schema_changes": [c.to_json() for c in facts.changes],
        "loads": facts.loads,
        "history": {
            "runs": runs,
            "row_counts": {
                v.table: [
                    *(facts.past_counts.get(v.table, {}).get(r["run_id"]) for r in runs[:-1]),
                    v.count,
                ]
                for v in facts.volumes
            },
        },
    }
    jsonable: dict[str, Any] = to_jsonable(report)
    return jsonable


def absence_notes(present: Mapping[str, list[str]]) -> list[str]:
    """One note per source or contract table that is missing, naming what is skipped."""
    have = {f"{d}.{t}" for d, tables in present.items() for t in tables}
    notes = []
    for source in SOURCES:
        missing = [f"{source}.{t}" for t in CONTRACT[source] if f"{source}.{t}" not in have]
        if source not in present:
            notes.append(
                f"{source}: not in the warehouse; its freshness checks, staging models and tests "
                f"are skipped (load it with `marketloop ingest {source}`)"
            )
        elif missing:
            notes.append(f"{', '.join(missing)}: not in the warehouse; their models are skipped")
        elif f"{source}.{DLT_LOADS}" not in have:
            notes.append(f"{source}: no dlt load log (_dlt_loads); load freshness is not checked")
    for mart, needs in MART_NEEDS.items():
        if not any(need in have for need in needs):
            notes.append(f"mart {mart} is not built: it needs {' or '.join(needs)}")
    return notes


def _sources(
    present: Mapping[str, list[str]], freshness: list[FreshnessResult]
) -> list[dict[str, Any]]:
    rows = []
    for source in (*SOURCES, FILES) if FILES in present else SOURCES:
        checks = [f for f in freshness if f.source == source]
        load = next((f for f in checks if f.kind == "load"), None)
        data = [f for f in checks if f.kind == "data"]
        rows.append(
            {
                "source": source,
                "present": source in present,
                "tables": sorted(t for t in present.get(source, []) if not t.startswith("_dlt_")),
                "load_status": load.status if load else None,
                "load_lag_hours": load.lag_hours if load else None,
                "data_status": _worst(f.status for f in data) if data else None,
                "data_lag_hours": max((f.lag_hours or 0.0 for f in data), default=None),
            }
        )
    return rows


_RANK = {"pass": 0, "skipped": 0, "warn": 1, "fail": 2, "error": 3}


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: _RANK.get(s, 0))


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(statuses).items()))
