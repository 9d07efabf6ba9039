"""`run_quality` end to end on DuckDB: results, history in marketloop_health, the report."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.hostile import HTML, assert_html_inert
from tests.quality.warehouses import Built, isolated

from marketloop.quality import history, inventory
from marketloop.quality.dbt import PROJECT_DIR
from marketloop.quality.report_html import render_html
from marketloop.quality.run import latest_report
from marketloop.quality.warehouse import connect

REPORT_KEYS = {
    "run_id", "started_at", "finished_at", "warehouse", "dbt_version", "status", "status_rule",
    "reasons", "notes", "summary", "sources", "freshness", "models", "tests", "volumes",
    "schema_changes", "loads", "history",
}  # fmt: skip


def test_a_full_warehouse_passes(duck: Built) -> None:
    report = duck.first
    assert report["status"] == "pass", report["reasons"]
    assert report["reasons"] == [] and report["notes"] == []
    assert report["summary"]["models"] == {
        "pass": 18
    }  # with the views int_ga4__pages, int_gsc__search_analytics, and content_decay
    assert report["summary"]["freshness"] == {"pass": 11}  # 4 load + 7 data checks
    assert report["summary"]["tests"] == {"pass": len(report["tests"])}
    assert len(report["tests"]) >= 45
    tested = {(t["test"], t["model"], t["column"]) for t in report["tests"]}
    assert ("relationships", "stg_hubspot__deal_contacts", "contact_id") in tested
    assert ("accepted_values", "stg_gsc__search_analytics", "device") in tested
    assert ("accepted_values", "stg_crawl__issues", "severity") in tested
    assert ("unique_combination", "stg_gsc__search_analytics", None) in tested


def test_report_json_shape(duck: Built) -> None:
    report = duck.second
    assert set(report) == REPORT_KEYS
    json.dumps(report)  # JSON-ready as is
    assert {s["source"]: s["present"] for s in report["sources"]} == dict.fromkeys(
        ["ga4", "gsc", "hubspot", "crawl"], True
    )
    freshness = {(f["source"], f["kind"], f["table"]) for f in report["freshness"]}
    assert ("ga4", "load", "dlt_loads") in freshness and (
        "gsc",
        "data",
        "search_analytics",
    ) in freshness
    assert set(report["freshness"][0]) >= {"status", "lag_hours", "warn_after", "error_after"}
    assert set(report["tests"][0]) >= {"name", "test", "model", "column", "status", "failures"}
    assert {load["dataset"] for load in report["loads"]} == {"ga4", "gsc", "hubspot", "crawl"}
    assert all(load["status"] == 0 for load in report["loads"])


def test_history_keeps_runs_counts_and_schema_changes(duck: Built) -> None:
    first, second = duck.first, duck.second
    runs = second["history"]["runs"]
    assert [r["run_id"] for r in runs] == [first["run_id"], second["run_id"]]
    assert second["history"]["row_counts"]["ga4.pages"] == [6, 7]  # D3 added, D1/D2 merged
    assert second["history"]["row_counts"]["marketloop_marts.page_performance"] == [4, 5]
    volumes = {v["table"]: v for v in second["volumes"]}
    assert volumes["ga4.pages"]["history"] == [6] and volumes["ga4.pages"]["z"] is None
    assert second["schema_changes"] == [
        {"table": "hubspot.contacts", "change": "column_added", "column": "hs_persona",
         "before": None, "after": "varchar", "breaking": False},
    ]  # fmt: skip
    assert second["status"] == "pass"  # an added column is reported, not a warning
    with connect(duck.target) as wh:
        assert len(history.recent_runs(wh, 10)) == 2
        snapshot = history.columns_of_run(wh, second["run_id"])
        assert history.columns_of_run(wh, first["run_id"])["ga4.pages"][0] == (
            "property_id",
            "varchar",
        )
        checks = wh.rows(
            "select kind, count(*) as n from marketloop_health.checks "
            "where run_id = ? group by kind",
            [second["run_id"]],
        )
    # intermediate views (window functions over every source row) are not counted, only their
    # columns recorded; the tables and the mart views are counted
    counted = set(second["history"]["row_counts"])
    assert {"marketloop_intermediate.int_page_daily", "gsc.search_analytics"} <= counted
    for view in ("int_gsc__search_analytics", "int_ga4__pages"):
        assert f"marketloop_intermediate.{view}" not in counted
        assert f"marketloop_intermediate.{view}" in snapshot
    assert {c["kind"]: c["n"] for c in checks} == {
        "freshness": 11,
        "model": 18,
        "test": len(second["tests"]),
    }


def test_latest_report_reads_the_newest_run(duck: Built, tmp_path) -> None:
    with isolated(tmp_path):
        assert latest_report(duck.settings)["run_id"] == duck.second["run_id"]


def test_html_report_is_self_contained_with_charts(duck: Built) -> None:
    html = render_html(duck.second)
    assert_html_inert(render_html(hostile(duck.second)))
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") >= 4  # freshness, tests per source, tests per run, row counts
    assert '<span class="badge pass">pass</span>' in html
    assert duck.second["run_id"] in html
    assert "hs_persona" in html and "column added" in html
    assert "landing_page_leads" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html


def hostile(report: dict[str, Any]) -> dict[str, Any]:
    """`report` with hostile text wherever the warehouse or dbt puts words: test and model
    messages and columns, schema changes (before/after values), freshness messages, notes."""
    report = copy.deepcopy(report)
    for test in report["tests"]:
        test.update(message=HTML, column=HTML)
    for model in report["models"]:
        model["message"] = HTML
    for change in report["schema_changes"]:
        change.update(column=HTML, before=HTML, after=HTML)
    for fresh in report["freshness"]:
        fresh["message"] = HTML
    report["notes"] = [*report["notes"], HTML]
    assert report["tests"] and report["schema_changes"]  # there was something to spoil
    return report


def test_dbt_writes_only_into_the_workspace(duck: Built) -> None:
    assert sorted(p.name for p in PROJECT_DIR.iterdir()) == ["dbt_project.yml", "macros", "models"]
    dbt_dir = duck.settings.workspace / "dbt"
    assert (dbt_dir / "target" / "manifest.json").is_file()
    assert (dbt_dir / "logs" / "dbt.log").is_file()


def test_row_counts_of_many_relations_in_one_query(duck: Built) -> None:
    with connect(duck.target) as wh:
        relations = inventory.tracked(inventory.relations(wh, ["ga4", "gsc", "hubspot"]))
        queries: list[str] = []
        rows = wh.rows
        wh.rows = lambda sql, params=(): queries.append(sql) or rows(sql, params)  # type: ignore[method-assign]
        counts = inventory.row_counts(wh, relations)
    assert len(queries) == 1 and len(counts) == len(relations) >= 5
    assert counts["ga4.pages"] == duck.second["history"]["row_counts"]["ga4.pages"][-1]
    assert inventory.row_counts(wh, []) == {}
