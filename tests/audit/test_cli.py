"""`marketloop audit`: formats, filters, the --fail-on gate, overrides and errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from tests.hostile import HTML, TITLE, assert_html_inert
from typer.testing import CliRunner

import marketloop as marketloop_package
from marketloop.cli import app
from marketloop.workspace import Workspace

from .conftest import MakeDataset

DEFECTS = [
    {"page": {"url": "/blog/old-post", "status": 404}},  # critical
    {"link": {"from": "/blog", "to": "/blog/old-post", "anchor": "Our old post on pricing"}},
    {"page": {"url": "/blog", "h1": []}},  # warning
    {"page": {"url": "/blog/first-post", "word_count": 120}},  # notice
    {"link": {"from": "/blog", "to": "/pricing", "anchor": "click here"}},  # notice
]


#: a hostile site: a broken URL with `&`, quotes and a script tag, a title and anchors of HTML
HOSTILE_URL = "/q?a=1&b=\"'><script>alert(1)</script>"
HOSTILE = [
    {"page": {"url": HOSTILE_URL, "status": 404}},
    {"link": {"from": "/blog", "to": HOSTILE_URL, "anchor": HTML}},
    {"page": {"url": "/pricing", "titles": [TITLE, TITLE]}},
]


@pytest.fixture
def dataset(make_dataset: MakeDataset) -> Path:
    return make_dataset(DEFECTS)


def audit(cli: CliRunner, *args: str, workspace: Path | None = None) -> tuple[int, str, str]:
    ws = ["--workspace", str(workspace)] if workspace else []
    result = cli.invoke(app, ["audit", *args, *ws])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_json_is_a_list_of_issues(cli: CliRunner, dataset: Path) -> None:
    code, out, _ = audit(cli, str(dataset), "--format", "json")
    issues = json.loads(out)
    assert code == 0
    assert {(i["check"], i["severity"]) for i in issues} == {
        ("broken_link", "critical"),
        ("missing_h1", "warning"),
        ("low_content", "notice"),
        ("non_descriptive_anchor", "notice"),
    }
    assert set(issues[0]) >= {
        "check",
        "severity",
        "url",
        "detail",
        "value",
        "threshold",
        "priority",
    }
    assert [i["priority"] for i in issues] == sorted((i["priority"] for i in issues), reverse=True)


def test_csv_has_a_header_and_one_row_per_issue(cli: CliRunner, dataset: Path) -> None:
    _, out, _ = audit(cli, str(dataset), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert rows[0]["check"] == "broken_link" and rows[0]["value"] == "404.0"


@pytest.mark.parametrize(
    ("args", "checks"),
    [
        (["--severity", "critical"], {"broken_link"}),
        (
            ["--severity", "warning", "--severity", "notice"],
            {"missing_h1", "low_content", "non_descriptive_anchor"},
        ),
        (["--check", "low_content"], {"low_content"}),
        (["--check", "low_content", "--severity", "critical"], set()),
        (
            ["--threshold", "low_content=100"],
            {"broken_link", "missing_h1", "non_descriptive_anchor"},
        ),
        (
            ["--disable", "missing_h1", "--disable", "broken_link"],
            {"low_content", "non_descriptive_anchor"},
        ),
    ],
)
def test_filters_and_overrides(
    cli: CliRunner, dataset: Path, args: list[str], checks: set[str]
) -> None:
    _, out, _ = audit(cli, str(dataset), "--format", "json", *args)
    assert {i["check"] for i in json.loads(out)} == checks


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--fail-on", "critical"], 1),
        (["--fail-on", "notice", "--check", "low_content"], 1),
        (["--fail-on", "warning", "--severity", "notice"], 0),
        (["--fail-on", "critical", "--check", "missing_h1"], 0),
        ([], 0),
    ],
)
def test_fail_on_is_a_gate_over_the_shown_issues(
    cli: CliRunner, dataset: Path, args: list[str], code: int
) -> None:
    exit_code, out, _ = audit(cli, str(dataset), "--format", "json", *args)
    assert exit_code == code
    assert isinstance(json.loads(out), list)  # the output is written either way


def test_table_groups_by_ticket(cli: CliRunner, dataset: Path) -> None:
    code, out, err = audit(cli, str(dataset))
    assert code == 0
    assert "Tickets, by impact" in out and "Top 4 of 4 issues" in out
    assert "4 issues on 3 URLs (1 critical, 1 warning, 2 notice) in 4 tickets" in err


def test_html_report_is_self_contained_with_charts_and_every_issue(
    cli: CliRunner, make_dataset: MakeDataset, tmp_path: Path
) -> None:
    folder = make_dataset([*DEFECTS, *HOSTILE, {"manifest_fields": {"status": "interrupted"}}])
    out = tmp_path / "report.html"
    code, _, err = audit(cli, str(folder), "--format", "html", "--out", str(out))
    assert code == 0 and "report:" in err and "interrupted" in err
    html = out.read_text()
    assert_html_inert(html)  # hostile URLs, titles and anchors are text, never markup
    parser = Tags()
    parser.feed(html)
    assert parser.counts["svg"] >= 7  # severity, depth, check; status, speed, indexability, depth
    assert {"check-broken_link", "check-missing_h1", "tickets", "overview", "partial"} <= parser.ids
    issues = json.loads(audit(cli, str(folder), "--format", "json")[1])
    assert any("<script>" in i["url"] for i in issues)  # the hostile URL was reported...
    for issue in issues:
        assert f'<td class="url">{escape(issue["url"])}</td>' in html  # ...escaped
        assert str(escape(issue["detail"])) in html
    assert "<script" not in html and "http-equiv" not in html
    assert 'src="http' not in html and "<link" not in html


def test_a_limited_crawl_warns_on_stderr_and_in_the_report(
    cli: CliRunner, make_dataset: MakeDataset, tmp_path: Path
) -> None:
    folder = make_dataset([{"manifest_fields": {"settings": {"max_depth": 1}}}])
    out = tmp_path / "report.html"
    code, _, err = audit(cli, str(folder), "--format", "html", "--out", str(out))
    assert code == 0
    said = " ".join(err.split())  # rich wraps long lines
    assert "limited to depth 1" in said and "orphan_page and non_indexable_in_sitemap" in said
    parser = Tags()
    parser.feed(out.read_text())
    assert "limited" in parser.ids and "partial" not in parser.ids


def test_html_goes_to_the_workspace_by_default(
    cli: CliRunner, dataset: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    audit(cli, str(dataset), "--format", "html", workspace=ws)
    assert (ws / "reports" / f"audit-{dataset.name}.html").is_file()


def test_json_and_csv_to_a_file(cli: CliRunner, dataset: Path, tmp_path: Path) -> None:
    audit(cli, str(dataset), "--format", "json", "--out", str(tmp_path / "i.json"))
    audit(cli, str(dataset), "--format", "csv", "--out", str(tmp_path / "i.csv"))
    assert len(json.loads((tmp_path / "i.json").read_text())) == 4
    assert len((tmp_path / "i.csv").read_text().splitlines()) == 5


def test_the_latest_crawl_of_the_workspace_is_the_default(
    cli: CliRunner, make_dataset: MakeDataset, workspace: Workspace
) -> None:
    make_dataset(DEFECTS, name="elsewhere")
    make_dataset(DEFECTS[2:3], name="ws-crawl").rename(workspace.crawls_dir / "site-1")
    _, out, _ = audit(cli, "--format", "json", workspace=workspace.root)
    assert [i["check"] for i in json.loads(out)] == ["missing_h1"]


def test_unknown_check_is_a_usage_error(cli: CliRunner, dataset: Path) -> None:
    code, _, err = audit(cli, str(dataset), "--check", "missing_titel")
    assert code == 2 and "unknown check missing_titel" in err
    code, _, err = audit(cli, str(dataset), "--out", "issues.txt")
    assert code == 2 and "--out needs --format json, csv or html" in err


def marketloop(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess, on this worktree's code."""
    env = {**os.environ, "PYTHONPATH": str(Path(marketloop_package.__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "marketloop", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_errors_exit_3_with_one_line(make_dataset: MakeDataset, tmp_path: Path) -> None:
    folder = make_dataset()
    (folder / "pages" / "part-00000.parquet").write_bytes(b"PAR1 not really")
    result = marketloop("audit", str(folder), "-w", str(tmp_path / "ws"))
    assert result.returncode == 3
    assert "is not readable Parquet" in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_threshold_is_a_usage_error(cli: CliRunner, dataset: Path) -> None:
    code, _, err = audit(cli, str(dataset), "-t", "slow_response=x")
    assert code == 2 and "KEY=NUMBER" in err


def test_a_threshold_that_is_not_finite_exits_2(dataset: Path, tmp_path: Path) -> None:
    result = marketloop("audit", str(dataset), "-t", "slow_response=nan", "-w", str(tmp_path))
    assert result.returncode == 2
    assert "slow_response = nan is not a finite number" in result.stderr
    assert "Traceback" not in result.stderr


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.ids |= {value for name, value in attrs if name == "id" and value}
