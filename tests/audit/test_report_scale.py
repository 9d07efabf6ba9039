"""A large audit's outputs: the HTML report lists at most `MAX_ROWS_PER_CHECK` issues per check
(with the count of the rest and where every issue is), while CSV and JSON, written in batches,
hold every issue, exactly as the one-shot writers format them."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from markupsafe import escape
from tests.hostile import CONTROL, FORMULA, HTML, MARKUP, assert_html_inert
from typer.testing import CliRunner

from marketloop.audit import report, shown
from marketloop.cli import app
from marketloop.clikit import rows_to_csv

from .conftest import MakeDataset

BROKEN = 23  # broken pages, each linked from /blog: 23 broken_link issues
CAP = 5  # rows per check in the report, for this test
HOSTILE_NAME = "crawl-\"'&<i>x"  # the folder's name is printed in the report


@pytest.fixture
def big(make_dataset: MakeDataset, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(report, "MAX_ROWS_PER_CHECK", CAP)
    monkeypatch.setattr(shown, "BATCH_ROWS", 4)  # many batches, one of them partial
    ops: list[dict[str, object]] = [
        {"page": {"url": "/blog", "h1": []}},  # one missing_h1: under the cap, listed whole
        {"page": {"url": "/blog/first-post", "word_count": 120}},  # one low_content
    ]
    for n in range(BROKEN):
        address = f"/gone/{n}?q={HTML}"
        ops.append({"page": {"url": address, "status": 404}})
        ops.append({"link": {"from": "/blog", "to": address}})
    return make_dataset(ops, name=HOSTILE_NAME)


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, ["audit", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


class Rows(HTMLParser):
    """The URL cells of each check's table."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.rows: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and (found.get("id") or "").startswith("check-"):
            self.section = (found["id"] or "").removeprefix("check-")
        if tag == "td" and found.get("class") == "url" and self.section is not None:
            self.rows[self.section] += 1


def test_the_report_lists_at_most_the_cap_per_check_and_counts_the_rest(
    cli: CliRunner, big: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    run(cli, str(big), "--format", "html", "--out", str(out))
    html = out.read_text()
    assert_html_inert(html)
    issues = pq.read_table(big / "issues.parquet")
    per_check = Counter(issues["check"].to_pylist())
    assert per_check["broken_link"] == BROKEN and issues.num_rows > BROKEN
    parser = Rows()
    parser.feed(html)
    assert parser.rows == {check: min(n, CAP) for check, n in per_check.items()}
    # the first rows are the check's highest priorities, in the issues' order
    first = [r for r in issues.to_pylist() if r["check"] == "broken_link"][:CAP]
    section = html[html.index('id="check-broken_link"') :]
    cells = [section.index(f'<td class="url">{escape(r["url"])}</td>') for r in first]
    assert cells == sorted(cells)
    assert f"highest priorities of {BROKEN}; {BROKEN - CAP} more are not shown" in section
    assert str(escape(str(big / "issues.parquet"))) in section  # where every issue is
    assert f'<div class="value">{issues.num_rows}</div>' in html  # the count covers them all


@pytest.mark.parametrize("to_file", [False, True])
def test_csv_and_json_hold_every_issue_as_the_one_shot_writers_format_them(
    cli: CliRunner, big: Path, tmp_path: Path, to_file: bool
) -> None:
    texts = {}
    for fmt in ("csv", "json"):
        path = tmp_path / f"issues.{fmt}"
        printed = run(cli, str(big), "--format", fmt, *(["--out", str(path)] if to_file else []))
        texts[fmt] = path.read_text(encoding="utf-8") if to_file else printed
    stored = pq.read_table(big / "issues.parquet").select(shown.COLUMNS).to_pylist()
    assert stored and len(stored) % shown.BATCH_ROWS != 0  # the last batch is partial
    assert json.loads(texts["json"]) == stored
    assert texts["json"] == json.dumps(stored, indent=2, ensure_ascii=False) + "\n"
    assert texts["csv"] == rows_to_csv(stored, shown.COLUMNS)
    cells = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert len(cells) == len(stored)
    assert [c["url"] for c in cells] == [r["url"] for r in stored]


def test_filters_keep_every_matching_row_and_an_empty_result_is_valid(
    cli: CliRunner, big: Path
) -> None:
    rows = json.loads(run(cli, str(big), "--format", "json", "--check", "broken_link"))
    assert len(rows) == BROKEN and {r["check"] for r in rows} == {"broken_link"}
    empty = run(cli, str(big), "--format", "json", "--check", "broken_link", "-s", "notice")
    assert empty == "[]\n"
    header = run(cli, str(big), "--format", "csv", "--check", "broken_link", "-s", "notice")
    assert header == ",".join(shown.COLUMNS) + "\n"


def test_streamed_csv_neutralises_formulas_and_json_keeps_hostile_text() -> None:
    hostile = [FORMULA, MARKUP, HTML, CONTROL, "-1", "@SUM(A1)", "ok"]
    table = pa.table(
        {
            "check": ["custom_check"] * len(hostile),
            "severity": ["notice"] * len(hostile),
            "url": [f"https://example.com/{n}" for n in range(len(hostile))],
            "detail": hostile,
            "value": [None, 1.5, 2.0, None, -1.0, 0.0, 3.25],
            "threshold": [None] * len(hostile),
            "priority": [1.0] * len(hostile),
        }
    )
    rows = table.to_pylist()
    sink = io.StringIO()
    shown.write_csv(table, sink)
    assert sink.getvalue() == rows_to_csv(rows, shown.COLUMNS)
    details = [c["detail"] for c in csv.DictReader(io.StringIO(sink.getvalue()))]
    assert details[0] == "'" + FORMULA and details[4] == "'-1" and details[5] == "'@SUM(A1)"
    assert details[1:4] == [MARKUP, HTML, CONTROL] and details[6] == "ok"
    sink = io.StringIO()
    shown.write_json(table, sink)
    assert json.loads(sink.getvalue()) == rows  # JSON is data: text kept exactly
