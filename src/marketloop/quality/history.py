"""Run history in the warehouse itself, schema `marketloop_health`, so it travels with the data:

    runs        one row per `quality run`: status, times, the full JSON report
    row_counts  rows per table per run (volume anomalies)
    columns     columns and types per table per run (schema changes)
    checks      every freshness check, model and test result per run

A run is recorded in one transaction at its end, so a killed run leaves no partial history. The
DDL and queries are plain SQL that DuckDB and PostgreSQL both accept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from marketloop.quality.health import Columns
from marketloop.quality.results import FreshnessResult, NodeResult
from marketloop.quality.warehouse import Warehouse

SCHEMA = "marketloop_health"

_DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {SCHEMA}.runs (
        run_id varchar primary key, started_at timestamp with time zone,
        finished_at timestamp with time zone, status varchar, warehouse varchar,
        dbt_version varchar, report text)""",
    f"""create table if not exists {SCHEMA}.row_counts (
        run_id varchar, table_name varchar, row_count bigint)""",
    f"""create table if not exists {SCHEMA}.columns (
        run_id varchar, table_name varchar, column_name varchar, data_type varchar,
        ordinal integer)""",
    f"""create table if not exists {SCHEMA}.checks (
        run_id varchar, kind varchar, name varchar, source varchar, model varchar,
        column_name varchar, status varchar, failures bigint, lag_hours double precision,
        message text)""",
)


def ensure(wh: Warehouse) -> None:
    for statement in _DDL:
        wh.execute(statement)


def exists(wh: Warehouse) -> bool:
    found = wh.rows(
        "select count(*) as n from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = 'runs'",
        [SCHEMA],
    )
    return bool(found[0]["n"])


def record(
    wh: Warehouse,
    report: Mapping[str, Any],
    counts: Mapping[str, int],
    columns: Mapping[str, Columns],
    freshness: Sequence[FreshnessResult],
    nodes: Sequence[NodeResult],
) -> None:
    run_id = report["run_id"]
    with wh.transaction():
        wh.execute(
            f"insert into {SCHEMA}.runs values (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.fromisoformat(report["started_at"]),
                datetime.fromisoformat(report["finished_at"]),
                report["status"],
                report["warehouse"],
                report["dbt_version"],
                json.dumps(report, default=str),
            ],
        )
        wh.executemany(
            f"insert into {SCHEMA}.row_counts values (?, ?, ?)",
            [(run_id, table, count) for table, count in sorted(counts.items())],
        )
        wh.executemany(
            f"insert into {SCHEMA}.columns values (?, ?, ?, ?, ?)",
            [
                (run_id, table, name, kind, i)
                for table, cols in sorted(columns.items())
                for i, (name, kind) in enumerate(cols, start=1)
            ],
        )
        wh.executemany(
            f"insert into {SCHEMA}.checks values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _check_rows(run_id, freshness, nodes),
        )


CHECK_COLUMNS = (
    *("kind", "name", "source", "model", "column_name"),
    *("status", "failures", "lag_hours", "message"),
)


def _check_rows(
    run_id: str, freshness: Sequence[FreshnessResult], nodes: Sequence[NodeResult]
) -> list[tuple[Any, ...]]:
    rows: list[dict[str, Any]] = [
        {"kind": "freshness", "name": f"{f.source}.{f.table}", "source": f.source}
        | {"status": f.status, "lag_hours": f.lag_hours, "message": f.message}
        for f in freshness
    ]
    rows += [
        {"kind": n.kind, "name": n.name, "source": n.source, "model": n.model}
        | {"column_name": n.column, "status": n.status, "failures": n.failures}
        | {"message": n.message}
        for n in nodes
    ]
    return [(run_id, *(row.get(column) for column in CHECK_COLUMNS)) for row in rows]


def recent_runs(wh: Warehouse, limit: int) -> list[dict[str, Any]]:
    """The last `limit` runs, oldest first, with their test outcome counts."""
    runs = wh.rows(
        f"select run_id, started_at, status from {SCHEMA}.runs "
        f"order by started_at desc, run_id desc limit {int(limit)}"
    )
    runs.reverse()
    if not runs:
        return runs
    marks = ", ".join("?" for _ in runs)
    outcomes = wh.rows(
        f"select run_id, status, count(*) as n from {SCHEMA}.checks "
        f"where kind = 'test' and run_id in ({marks}) group by run_id, status",
        [r["run_id"] for r in runs],
    )
    for run in runs:
        run["tests"] = {o["status"]: int(o["n"]) for o in outcomes if o["run_id"] == run["run_id"]}
    return runs


def counts_by_run(wh: Warehouse, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """table -> {run_id: row count} for the given runs."""
    if not run_ids:
        return {}
    marks = ", ".join("?" for _ in run_ids)
    found = wh.rows(
        f"select run_id, table_name, row_count from {SCHEMA}.row_counts where run_id in ({marks})",
        list(run_ids),
    )
    by_table: dict[str, dict[str, int]] = {}
    for row in found:
        by_table.setdefault(row["table_name"], {})[row["run_id"]] = int(row["row_count"])
    return by_table


def columns_of_run(wh: Warehouse, run_id: str) -> dict[str, list[tuple[str, str]]]:
    found = wh.rows(
        f"select table_name, column_name, data_type from {SCHEMA}.columns "
        "where run_id = ? order by table_name, ordinal",
        [run_id],
    )
    result: dict[str, list[tuple[str, str]]] = {}
    for row in found:
        result.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    return result


def latest_report(wh: Warehouse) -> dict[str, Any] | None:
    found = wh.rows(
        f"select report from {SCHEMA}.runs order by started_at desc, run_id desc limit 1"
    )
    if not found:
        return None
    report: dict[str, Any] = json.loads(found[0]["report"])
    return report
