"""`quality run --select/--exclude` narrow the dbt build; `quality docs` writes dbt's docs site
into the workspace and the data health report links to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.quality.warehouses import isolated, load_data, quality_settings, tiny_data
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.errors import QualityError
from marketloop.quality.run import run_quality
from marketloop.quality.warehouse import target_from_settings


@pytest.fixture(scope="module")
def built_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("select")
    with isolated(root):
        settings = quality_settings(root / "ws")
        target = target_from_settings(settings)
        (root / "ws").mkdir()
        load_data(target, root / "ws" / "dlt", tiny_data())
        assert run_quality(settings)["status"] == "pass"
    return root / "ws"


def test_select_and_exclude_narrow_the_build(built_ws: Path, cli: CliRunner) -> None:
    result = cli.invoke(app, [
        "quality", "run", "-w", str(built_ws), "--format", "json",
        "--select", "+page_performance landing_page_leads", "--exclude", "stg_crawl__issues",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    models = {m["name"] for m in report["models"]}
    assert {"page_performance", "landing_page_leads", "int_page_daily"} <= models
    assert not models & {"stg_crawl__issues", "query_performance", "stg_ga4__traffic_sources"}
    assert {t["model"] for t in report["tests"]} <= models
    assert len(report["freshness"]) == 11  # freshness still checks every source


@pytest.mark.parametrize(
    ("selector", "message"),
    [("bad\x01name", "is not a dbt selector"), ("--full-refresh", "is not a dbt selector")],
)
def test_bad_selectors_exit_3(built_ws: Path, cli: CliRunner, selector: str, message: str) -> None:
    result = cli.invoke(app, ["quality", "run", "-w", str(built_ws), "--select", selector])
    assert result.exit_code == 3
    assert message in result.output


def test_a_selector_dbt_rejects_is_a_run_that_could_not_run(built_ws: Path, cli: CliRunner) -> None:
    result = cli.invoke(app, ["quality", "run", "-w", str(built_ws), "--select", "nosuch:x"])
    assert isinstance(result.exception, QualityError)  # the CLI edge prints it, exit 3
    assert "'nosuch' is not a valid method name" in result.exception.message


def test_docs_are_written_and_linked_from_the_health_report(built_ws: Path, cli: CliRunner) -> None:
    docs = cli.invoke(app, ["quality", "docs", "-w", str(built_ws)])
    assert docs.exit_code == 0, docs.output
    site = built_ws / "reports" / "dbt-docs.html"
    assert site.is_file() and "page_performance" in site.read_text(encoding="utf-8")
    report = cli.invoke(app, ["quality", "report", "-w", str(built_ws)])
    assert report.exit_code == 0, report.output
    assert "quality report` writing html by default is deprecated" in report.stderr
    html = (built_ws / "reports" / "data-health.html").read_text(encoding="utf-8")
    assert '<a href="dbt-docs.html">dbt docs</a>' in html
    elsewhere = built_ws.parent / "mail" / "health.html"
    cli.invoke(app, ["quality", "report", "-w", str(built_ws), "--out", str(elsewhere)])
    assert '<a href="../ws/reports/dbt-docs.html">' in elsewhere.read_text(encoding="utf-8")
