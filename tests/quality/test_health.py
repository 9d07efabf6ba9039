"""The pure rules: volume anomalies, schema changes and the overall status, over case tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from marketloop.quality.health import (
    SchemaChange,
    VolumeCheck,
    overall_status,
    schema_changes,
    volume_check,
)
from marketloop.quality.results import FreshnessResult, NodeResult

CASES = Path(__file__).parent / "cases"


def _cases(name: str) -> list[Any]:
    return [
        pytest.param(case, id=case["name"]) for case in yaml.safe_load((CASES / name).read_text())
    ]


@pytest.mark.parametrize("case", _cases("volumes.yaml"))
def test_volume_anomalies(case: dict[str, Any]) -> None:
    check = volume_check("ga4.pages", case["count"], case["history"])
    assert check.z == case["z"]
    assert check.anomaly is case["anomaly"]
    assert len(check.history) == min(len(case["history"]), 14)


def test_volume_thresholds_are_configurable() -> None:
    history = [1000, 1000, 1000]
    assert not volume_check("t", 1030, history, z_threshold=4.0).anomaly
    assert volume_check("t", 0, [5, 5], min_history=2).anomaly
    assert volume_check("t", 0, [5, 5, 5, 5], window=2, min_history=3).z is None


@pytest.mark.parametrize("case", _cases("schema_changes.yaml"))
def test_schema_changes(case: dict[str, Any]) -> None:
    def columns(tables: dict[str, list[list[str]]] | None) -> Any:
        if tables is None:
            return None
        return {table: [tuple(c) for c in cols] for table, cols in tables.items()}

    changes = schema_changes(columns(case["before"]), columns(case["after"]))
    assert [c.to_json() for c in changes] == case["changes"]


def _fresh(status: str, kind: str = "data") -> FreshnessResult:
    return FreshnessResult("ga4", "pages", kind, status, None, 100.0, "3 days", "7 days")


def _test(status: str, severity: str = "error") -> NodeResult:
    return NodeResult(
        "test",
        "unique_x",
        status,
        "stg_ga4__pages",
        "ga4",
        "unique",
        "id",
        severity,
        2,
    )


def _model(status: str) -> NodeResult:
    return NodeResult("model", "page_performance", status, "page_performance", "marts")


ANOMALY = VolumeCheck("ga4.pages", 0, [10, 10, 10], 10.0, -10.0, anomaly=True)
NORMAL = VolumeCheck("ga4.pages", 10, [10, 10, 10], 10.0, 0.0, anomaly=False)
RETYPED = SchemaChange("ga4.pages", "type_changed", "sessions", "bigint", "varchar")
ADDED = SchemaChange("ga4.pages", "column_added", "new", after="varchar")

STATUS_CASES = [
    ("all clear", [_fresh("pass")], [_model("pass")], [_test("pass")], [NORMAL], [ADDED], "pass"),
    ("skipped models alone change nothing", [], [_model("skipped")], [], [], [], "pass"),
    ("freshness warn", [_fresh("warn")], [], [_test("pass")], [], [], "warn"),
    ("warn-severity test", [], [], [_test("warn", "warn")], [], [], "warn"),
    ("volume anomaly", [], [], [], [ANOMALY], [], "warn"),
    ("retyped column", [], [], [], [], [RETYPED], "warn"),
    ("freshness error", [_fresh("fail")], [], [], [], [], "fail"),
    ("freshness could not run", [_fresh("error", "load")], [], [], [], [], "fail"),
    ("error test found rows", [_fresh("warn")], [], [_test("fail")], [ANOMALY], [], "fail"),
    ("test could not run", [], [], [_test("error")], [], [], "fail"),
    ("model failed", [], [_model("error")], [], [], [], "fail"),
]


@pytest.mark.parametrize(
    ("freshness", "models", "tests", "volumes", "changes", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in STATUS_CASES],
)
def test_overall_status(
    freshness: list[FreshnessResult],
    models: list[NodeResult],
    tests: list[NodeResult],
    volumes: list[VolumeCheck],
    changes: list[SchemaChange],
    expected: str,
) -> None:
    status, reasons = overall_status(freshness, models, tests, volumes, changes)
    assert status == expected
    assert bool(reasons) is (expected != "pass")


def test_reasons_put_failures_first_and_name_what_to_look_at() -> None:
    status, reasons = overall_status([_fresh("warn")], [], [_test("fail")], [ANOMALY], [RETYPED])
    assert status == "fail"
    assert reasons[0] == "test unique on stg_ga4__pages.id: 2 failing rows"
    assert "ga4 newest data in pages is 4.2 days old (limit 3 days)" in reasons
    assert any(r.startswith("ga4.pages: 0 rows, z = -10.0") for r in reasons)
    assert "ga4.pages.sessions changed type from bigint to varchar" in reasons
