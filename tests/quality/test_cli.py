"""`marketloop quality run|report` as a person uses them: exit statuses, summaries, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import marketloop
from marketloop.cli import app
from marketloop.errors import QualityError
from marketloop.quality.warehouse import Target, target_from_settings
from tests.quality.conftest import age_loads, load_data, quality_settings, tiny_data


def _target(ws: Path) -> Target:
    target = target_from_settings(quality_settings(ws))
    ws.mkdir(parents=True, exist_ok=True)
    return target


def test_ga4_only_warns_on_a_stale_load_and_skips_absent_sources(
    cli: CliRunner, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    target = _target(ws)
    load_data(target, ws / "dlt", {"ga4": tiny_data()["ga4"]})
    age_loads(target, "ga4", hours=30)  # warn after 26 h, error after 72 h

    before = cli.invoke(app, ["quality", "report", "--workspace", str(ws)])
    assert isinstance(before.exception, QualityError)  # the CLI edge prints it, exit 3
    assert "no quality run is recorded" in before.exception.message
    assert "marketloop quality run" in str(before.exception.hint)

    result = cli.invoke(app, ["quality", "run", "--workspace", str(ws), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)  # nothing but the report on stdout
    assert report["status"] == "warn"
    assert report["reasons"] == ["ga4 last load is 30.0 h old (limit 26 hours)"]
    assert [n.split(":")[0] for n in report["notes"]] == [
        "gsc",
        "hubspot",
        "crawl",
        "mart query_performance is not built",
        "mart query_page_performance is not built",
        "mart landing_page_leads is not built",
    ]
    built = {m["name"] for m in report["models"]}
    assert built == {"stg_ga4__pages", "stg_ga4__traffic_sources", "int_page_daily", "page_performance"}
    assert {f["source"] for f in report["freshness"]} == {"ga4"}
    assert "WARN" in result.stderr

    out = tmp_path / "health.html"
    html = cli.invoke(app, ["quality", "report", "-w", str(ws), "--format", "html", "--out", str(out)])
    assert html.exit_code == 0
    page = out.read_text()
    assert "ga4 last load is 30.0 h old" in page and "not in the warehouse" in page
    as_json = cli.invoke(app, ["quality", "report", "-w", str(ws), "--format", "json"])
    assert json.loads(as_json.stdout)["run_id"] == report["run_id"]
    assert (ws / "dbt" / "logs" / "dbt.log").stat().st_size > 0


def test_duplicate_ids_and_stale_search_data_fail_with_exit_2(
    cli: CliRunner, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    target = _target(ws)
    data = tiny_data()
    for row in data["gsc"]["search_analytics"]:
        row["date"] -= timedelta(days=10)  # data freshness: error after 8 days
    load_data(target, ws / "dlt", {"gsc": data["gsc"], "hubspot": data["hubspot"]})
    duplicate = dict(data["hubspot"]["contacts"][0])
    load_data(target, ws / "dlt", {"hubspot": {"contacts": [duplicate]}}, disposition="append")

    result = cli.invoke(app, ["quality", "run", "--workspace", str(ws)])
    assert result.exit_code == 2, result.output
    assert "unique on" in result.stdout and "1 failing row " in result.stdout
    assert "FAIL" in result.stderr

    report = json.loads(cli.invoke(app, ["quality", "report", "-w", str(ws), "-f", "json"]).stdout)
    failing = [(t["test"], t["column"], t["failures"]) for t in report["tests"] if t["status"] == "fail"]
    assert failing == [("unique", "id", 1)]
    assert {m["name"]: m["status"] for m in report["models"]}["landing_page_leads"] == "skipped"
    gsc_data = next(f for f in report["freshness"] if f["table"] == "search_analytics")
    assert gsc_data["status"] == "fail"
    assert report["reasons"][0].startswith("gsc newest data in search_analytics is")


def _marketloop(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, so the error edge (one line, exit 3) is what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")}
    env["PYTHONPATH"] = str(Path(marketloop.__file__).parents[1])  # this checkout's code
    return subprocess.run(
        [sys.executable, "-m", "marketloop", *args], capture_output=True, text=True, env=env
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
