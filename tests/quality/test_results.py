"""dbt's artifacts into marketloop's results, from a trimmed copy of real artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketloop.quality.results import age_text, freshness_results, node_results

ARTIFACTS = json.loads((Path(__file__).parent / "cases" / "dbt_artifacts.json").read_text())


def test_freshness_statuses_kinds_and_lags() -> None:
    results = {(r.source, r.table): r for r in freshness_results(ARTIFACTS["sources"])}
    load = results[("ga4", "dlt_loads")]
    assert (load.kind, load.status, load.lag_hours) == ("load", "pass", 1.0)
    assert (load.warn_after, load.error_after) == ("26 hours", "72 hours")
    assert results[("ga4", "pages")].kind == "data"
    assert results[("ga4", "pages")].status == "warn"
    assert results[("gsc", "search_analytics")].status == "fail"  # past error_after
    broken = results[("hubspot", "contacts")]
    assert broken.status == "error"
    assert "hs_lastmodifieddate" in broken.message
    assert "\n" not in broken.message
    assert results[("crawl", "pages")].lag_hours == 0.0  # a clock a little ahead is not negative


def test_freshness_results_list_load_before_data_per_source() -> None:
    order = [(r.source, r.kind) for r in freshness_results(ARTIFACTS["sources"])]
    assert order[:2] == [("crawl", "data"), ("ga4", "load")]
    assert order.index(("ga4", "load")) < order.index(("ga4", "data"))


def test_node_results_split_models_and_tests() -> None:
    models, tests = node_results(ARTIFACTS["run_results"], ARTIFACTS["manifest"])
    assert [(m.name, m.status) for m in models] == [
        ("stg_hubspot__contacts", "pass"),
        ("landing_page_leads", "skipped"),
        ("query_performance", "error"),
    ]
    assert models[2].source == "marts"
    assert "search_analytics does not exist" in models[2].message
    unique, accepted, not_null = tests
    assert (unique.test, unique.model, unique.column, unique.source) == (
        "unique",
        "stg_hubspot__contacts",
        "id",
        "hubspot",
    )
    assert (unique.status, unique.severity, unique.failures) == ("fail", "error", 1)
    assert (accepted.status, accepted.severity, accepted.failures) == ("warn", "warn", 2)
    assert (not_null.status, not_null.source, not_null.message) == ("pass", "marts", "")


@pytest.mark.parametrize(
    ("hours", "text"), [(None, "unknown"), (0.04, "0.0 h"), (47.9, "47.9 h"), (72, "3.0 days")]
)
def test_age_text(hours: float | None, text: str) -> None:
    assert age_text(hours) == text
