"""`marketloop quality run|report` as a person uses them: exit statuses, summaries, messages."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from tests.quality.warehouses import Built, age_loads, load_data, quality_settings, tiny_data
from typer.testing import CliRunner

import marketloop
from marketloop.cli import app
from marketloop.errors import QualityError
from marketloop.quality.warehouse import Target, target_from_settings


def _target(ws: Path) -> Target:
    target = target_from_settings(quality_settings(ws))
    ws.mkdir(parents=True, exist_ok=True)
    return target


def test_stale_sources_and_duplicate_ids_fail_with_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    """GA4 (loaded 100 h ago: load freshness error) and HubSpot (a duplicated contact id: an
    error test fails; nothing modified for 20 days: data freshness warn); no GSC, no crawl."""
    ws = tmp_path / "ws"
    target = _target(ws)
    data = tiny_data()
    for table in data["hubspot"].values():
        for row in table:
            if "hs_lastmodifieddate" in row:
                row["hs_lastmodifieddate"] -= timedelta(days=20)  # warn after 14 days
    load_data(target, ws / "dlt", {"ga4": data["ga4"], "hubspot": data["hubspot"]})
    duplicate = dict(data["hubspot"]["contacts"][0])
    load_data(target, ws / "dlt", {"hubspot": {"contacts": [duplicate]}}, disposition="append")
    age_loads(target, "ga4", hours=100)  # error after 72 h

    before = cli.invoke(app, ["quality", "report", "--workspace", str(ws)])
    assert isinstance(before.exception, QualityError)  # the CLI edge prints it, exit 3
    assert "no quality run is recorded" in before.exception.message
    assert "marketloop quality run" in str(before.exception.hint)

    result = cli.invoke(app, ["quality", "run", "--workspace", str(ws)])
    assert result.exit_code == 2, result.output
    assert "unique on" in result.stdout and "1 failing row " in result.stdout
    assert "FAIL" in result.stderr and "gsc: not in the warehouse" in result.stderr

    as_json = cli.invoke(app, ["quality", "report", "-w", str(ws), "--format", "json"])
    report = json.loads(as_json.stdout)  # nothing but the report on stdout
    as_csv = cli.invoke(app, ["quality", "report", "-w", str(ws), "-f", "csv"])
    assert as_csv.stdout.startswith("check,subject,status,detail\n") and ",fail," in as_csv.stdout
    assert report["status"] == "fail"
    freshness = {(f["source"], f["table"]): f["status"] for f in report["freshness"]}
    assert freshness == {
        ("ga4", "dlt_loads"): "fail",
        ("ga4", "pages"): "pass",
        ("ga4", "traffic_sources"): "pass",
        ("hubspot", "dlt_loads"): "pass",
        ("hubspot", "companies"): "warn",
        ("hubspot", "contacts"): "warn",
        ("hubspot", "deals"): "warn",
    }
    failing = [
        (t["test"], t["column"], t["failures"]) for t in report["tests"] if t["status"] == "fail"
    ]
    assert failing == [("unique", "id", 1)]
    assert report["reasons"][:2] == [
        "ga4 last load is 4.2 days old (limit 72 hours)",
        "test unique on stg_hubspot__contacts.id: 1 failing row",
    ]
    assert [n.split(":")[0] for n in report["notes"]] == [
        "gsc",
        "crawl",
        "mart query_performance is not built",
        "mart query_page_performance is not built",
        "mart content_decay is not built",
    ]
    models = {m["name"]: m["status"] for m in report["models"]}
    assert models["landing_page_leads"] == "skipped"  # downstream of the failing test
    assert models["page_performance"] == "pass"  # from GA4 alone
    assert "query_performance" not in models and "stg_crawl__pages" not in models

    out = tmp_path / "health.html"
    html = cli.invoke(app, ["quality", "report", "-w", str(ws), "-f", "html", "--out", str(out)])
    assert html.exit_code == 0
    page = out.read_text()
    assert "ga4 last load is 4.2 days old" in page and "gsc: not in the warehouse" in page
    assert (ws / "dbt" / "logs" / "dbt.log").stat().st_size > 0


def test_a_warning_exits_1_and_lists_what_to_look_at(
    cli: CliRunner, duck: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = copy.deepcopy(duck.second)
    report["status"] = "warn"
    report["volumes"][0] |= {"anomaly": True, "z": -4.2}
    monkeypatch.setattr("marketloop.quality.run.run_quality", lambda settings, **_: report)
    result = cli.invoke(app, ["quality", "run", "--workspace", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{report['volumes'][0]['table']}" in result.stdout and "z = -4.2" in result.stdout
    assert "column added" in result.stdout  # schema changes are listed too
    assert "WARN" in result.stderr


def test_a_real_warning_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    """No monkeypatching: two GA4 properties report the same page and day, which a
    warn-severity test reports (the marts keep one property)."""
    ws = tmp_path / "ws"
    pages = tiny_data()["ga4"]["pages"]
    load_data(
        _target(ws), ws / "dlt", {"ga4": {"pages": [*pages, pages[0] | {"property_id": "p2"}]}}
    )
    result = cli.invoke(app, ["quality", "run", "--workspace", str(ws), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "warn"
    warned = [t for t in report["tests"] if t["status"] == "warn"]
    assert [(t["model"], t["test"], t["failures"]) for t in warned] == [
        ("stg_ga4__pages", "unique_combination", 1)
    ]
    assert "WARN" in result.stderr


def _marketloop(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """The real command line, so the error edge (one line, exit 3) is what is tested;
    `settings` are MARKETLOOP_* environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")} | settings
    env["PYTHONPATH"] = str(Path(marketloop.__file__).parents[1])  # this checkout's code
    return subprocess.run(
        [sys.executable, "-m", "marketloop", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("command", ["run", "report"])
def test_no_warehouse_is_a_clear_error(command: str, tmp_path: Path) -> None:
    result = _marketloop("quality", command, "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 3
    assert "there is no warehouse at" in result.stderr
    assert "marketloop ingest" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_warehouse_without_sources_says_what_to_load(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    duckdb.connect(str(ws / "warehouse.duckdb")).close()
    result = _marketloop("quality", "run", "--workspace", str(ws))
    assert result.returncode == 3
    assert "holds none of the sources ga4, gsc, hubspot, crawl" in result.stderr


@pytest.mark.parametrize("command", [["run"], ["report"]])
def test_help_explains(cli: CliRunner, command: list[str]) -> None:
    result = cli.invoke(app, ["quality", *command, "--help"])
    assert result.exit_code == 0
    assert "--workspace" in result.output and "--format" in result.output


USAGE_AND_SETTINGS_ERRORS = [
    (["run", "--format", "xml"], {}, "Invalid value for '--format'"),
    (["report", "--format", "xml"], {}, "Invalid value for '--format'"),
    (["nothing"], {}, "No such command"),
    (["run"], {"MARKETLOOP_QUALITY_ANOMALY_Z": "-1"}, "quality.anomaly_z"),
    (["run"], {"MARKETLOOP_WAREHOUSE_DESTINATION": "bigquery"}, "needs the dbt adapter bigquery"),
]


@pytest.mark.parametrize(("args", "settings", "message"), USAGE_AND_SETTINGS_ERRORS)
def test_usage_and_settings_errors_exit_3_not_2_which_means_fail(
    args: list[str], settings: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = _marketloop("quality", *args, "--workspace", str(tmp_path / "ws"), **settings)
    assert result.returncode == 3, result.stderr
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
