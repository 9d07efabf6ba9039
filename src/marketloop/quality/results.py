"""dbt's artifacts turned into marketloop's results: pure functions over the parsed JSON of
`sources.json` (source freshness), `run_results.json` and `manifest.json` (dbt build).

Statuses are normalised to pass | warn | fail | error | skipped:
    freshness  pass -> pass, warn -> warn, error -> fail, runtime error -> error
    tests      pass, warn, fail (an error-severity test found rows), error (could not run)
    models     success -> pass, error -> error, skipped -> skipped (an upstream test failed)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "error", "skipped"]

_FRESHNESS: dict[str, Status] = {
    "pass": "pass",
    "warn": "warn",
    "error": "fail",
    "runtime error": "error",
}
_NODE: dict[str, Status] = {
    "success": "pass",
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "runtime error": "error",
    "skipped": "skipped",
}


@dataclass(frozen=True)
class FreshnessResult:
    source: str  # ga4 | gsc | hubspot | crawl | files
    table: str  # the source table, or "dlt_loads" for load freshness
    kind: Literal["load", "data"]
    status: Status
    max_loaded_at: str | None  # ISO timestamp of the newest load / data
    lag_hours: float | None
    warn_after: str  # "26 hours"
    error_after: str
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NodeResult:
    kind: Literal["model", "test"]
    name: str
    status: Status
    model: str  # the model a test is attached to (the model itself for models)
    source: str  # ga4 | gsc | hubspot | crawl | marts: the part of the project it belongs to
    test: str | None = None  # generic test name: unique, not_null, accepted_values, ...
    column: str | None = None
    severity: str | None = None  # error | warn
    failures: int | None = None
    message: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def freshness_results(sources_json: dict[str, Any]) -> list[FreshnessResult]:
    results = []
    for item in sources_json.get("results", []):
        _, _, source, table = item["unique_id"].split(".", 3)
        criteria = item.get("criteria") or {}
        lag = item.get("max_loaded_at_time_ago_in_s")
        results.append(
            FreshnessResult(
                source=source,
                table=table,
                kind="load" if table == "dlt_loads" else "data",
                status=_FRESHNESS.get(item.get("status", ""), "error"),
                max_loaded_at=item.get("max_loaded_at"),
                lag_hours=round(max(lag, 0.0) / 3600, 2) if lag is not None else None,
                warn_after=_period(criteria.get("warn_after")),
                error_after=_period(criteria.get("error_after")),
                message=_one_line(item.get("error") or item.get("message")),
            )
        )
    return sorted(results, key=lambda r: (r.source, r.kind != "load", r.table))


def node_results(
    run_results: dict[str, Any], manifest: dict[str, Any]
) -> tuple[list[NodeResult], list[NodeResult]]:
    """(models, tests) of a `dbt build`, in the order dbt ran them."""
    nodes = manifest.get("nodes", {})
    models, tests = [], []
    for item in run_results.get("results", []):
        unique_id = item["unique_id"]
        if unique_id.startswith("model."):
            models.append(_model(item, nodes.get(unique_id, {})))
        elif unique_id.startswith("test."):
            tests.append(_test(item, nodes.get(unique_id, {})))
    return models, tests


def _model(item: dict[str, Any], node: dict[str, Any]) -> NodeResult:
    name = node.get("name", item["unique_id"].split(".")[2])
    status = _NODE.get(item.get("status", ""), "error")
    return NodeResult(
        kind="model",
        name=name,
        status=status,
        model=name,
        source=_area(name),
        message="" if status == "pass" else _one_line(item.get("message")),
        seconds=round(float(item.get("execution_time") or 0.0), 3),
    )


def _test(item: dict[str, Any], node: dict[str, Any]) -> NodeResult:
    model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
    status = _NODE.get(item.get("status", ""), "error")
    failures = item.get("failures")
    return NodeResult(
        kind="test",
        name=node.get("name", item["unique_id"].split(".")[2]),
        status=status,
        model=model,
        source=_area(model),
        test=(node.get("test_metadata") or {}).get("name"),
        column=node.get("column_name"),
        severity=str((node.get("config") or {}).get("severity", "error")).lower(),
        failures=int(failures) if failures is not None else None,
        message="" if status == "pass" else _one_line(item.get("message")),
        seconds=round(float(item.get("execution_time") or 0.0), 3),
    )


def age_text(hours: float | None) -> str:
    """3.5 h, 2.1 days: how old something is, in the unit a person reads fastest."""
    if hours is None:
        return "unknown"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _area(model: str) -> str:
    """stg_ga4__pages -> ga4; anything that is not a staging model -> marts."""
    if model.startswith("stg_") and "__" in model:
        return model[4:].split("__", 1)[0]
    return "marts"


def _period(threshold: dict[str, Any] | None) -> str:
    if not threshold or threshold.get("count") is None:
        return ""
    count, period = threshold["count"], threshold.get("period") or ""
    return f"{count} {period}{'s' if count != 1 else ''}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:500]
