"""`marketloop crawl-diff` at scale: the lists stay in DuckDB and are written batch by batch.

The CSV and JSON outputs are written with `diff.BATCH_ROWS` cut to 2, so every list spans
several batches, and with `Issue` objects forbidden (`as_issues` raises), so nothing builds
them; the result must still hold every row, in the old order, with hostile URLs and text
(HTML, quotes, Rich markup, a formula, control characters) neutralised. The HTML report shows
the first rows of each list and counts the rest.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.hostile import CONTROL, FORMULA, HTML, MARKUP, assert_html_inert
from typer.testing import CliRunner

from marketloop.audit import diff as diff_module
from marketloop.audit.config import AuditSettings
from marketloop.audit.diff import CrawlDiff, crawl_diff
from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset
from marketloop.csvsafe import neutralise

from .conftest import MakeDataset
from .test_diff import AFTER, BEFORE, B

HOSTILE_PATHS = ["/0?x=<script>alert(1)</script>", "/a\"'&b", "/[/]", '/=HYPERLINK("x")',
                 "/ctl\x07\x1b[2J"]  # fmt: skip
TITLES = [HTML, FORMULA, MARKUP, CONTROL]


@pytest.fixture
def crawls(make_dataset: MakeDataset) -> tuple[Path, Path]:
    """Hostile pages added with no H1 (new issues), and calm titles turned hostile (changes);
    both sort first among the added and the changed pages."""
    calm = [{"page": {"url": f"/0-calm-{n}", "titles": [f"Calm {n}"]}} for n in range(len(TITLES))]
    hostile = [{"page": {"url": f"/0-calm-{n}", "titles": [t]}} for n, t in enumerate(TITLES)]
    added = [{"page": {"url": p, "h1": [], "titles": [HTML]}} for p in HOSTILE_PATHS]
    old = make_dataset([*BEFORE, *calm], name="before")
    return old, make_dataset([*AFTER, *calm, *hostile, *added], name="after")


def expected_rows(result: CrawlDiff) -> list[dict[str, Any]]:
    """Every row as the diff was written before it streamed: the lists read whole."""
    issue_kinds = [(f"{kind} issue", result.issues(kind)) for kind in CrawlDiff.ISSUE_KINDS]
    rows: list[dict[str, Any]] = [
        {"change": kind, "url": i.url, "check": i.check, "severity": i.severity.value,
         "detail": i.detail}
        for kind, issues in issue_kinds
        for i in issues
    ]  # fmt: skip
    rows += [{"change": "page added", "url": u} for u in result.pages("added")]
    rows += [{"change": "page removed", "url": u} for u in result.pages("removed")]
    rows += [{"change": "page changed", **c.__dict__} for c in result.changes()]
    return rows


def expected_json(result: CrawlDiff) -> dict[str, Any]:
    return {
        "old_crawl": result.old_crawl,
        "new_crawl": result.new_crawl,
        "issues": {"new": [i.as_row() for i in result.issues("new")],
                   "resolved": [i.as_row() for i in result.issues("resolved")],
                   "persisting": [i.as_row() for i in result.issues("persisting")]},
        "pages": {"added": result.pages("added"), "removed": result.pages("removed"),
                  "changed": [c.__dict__ for c in result.changes()]},
    }  # fmt: skip


def _no_issue_objects(table: object) -> list[object]:
    raise AssertionError("a streamed output built Issue objects")


def test_csv_and_json_stream_every_row_in_order(
    cli: CliRunner, crawls: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = crawls
    with crawl_diff(CrawlDataset.open(old), CrawlDataset.open(new), AuditSettings()) as whole:
        rows, document = expected_rows(whole), expected_json(whole)
    batch = 2
    assert len(rows) > 5 * batch
    changes = {r["change"] for r in rows}
    assert changes == {"new issue", "resolved issue", "persisting issue", "page added",
                       "page removed", "page changed"}  # fmt: skip
    assert any(r["url"].endswith("/0?x=<script>alert(1)</script>") for r in rows)
    assert any(r.get("new") == FORMULA for r in rows)
    monkeypatch.setattr(diff_module, "BATCH_ROWS", batch)
    monkeypatch.setattr(diff_module, "as_issues", _no_issue_objects)

    out = tmp_path / "diff.csv"
    result = cli.invoke(app, ["crawl-diff", str(old), str(new), "-f", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    written = list(csv.reader(io.StringIO(text)))
    assert written[0] == list(CrawlDiff.COLUMNS)
    wanted = [[neutralise(r[c]) if r.get(c) is not None else "" for c in CrawlDiff.COLUMNS]
              for r in rows]  # fmt: skip
    assert written[1:] == wanted
    formula = ["page changed", f"{B}/0-calm-1", "", "", "", "title", "Calm 1", f"'{FORMULA}"]
    assert formula in written
    assert not any(cell.startswith("=") for line in written for cell in line)

    result = cli.invoke(app, ["crawl-diff", str(old), str(new), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == document
    # laid out as `emit_json` lays out the whole document
    assert result.stdout == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_html_report_caps_each_list_and_counts_the_rest(
    cli: CliRunner, crawls: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = crawls
    with crawl_diff(CrawlDataset.open(old), CrawlDataset.open(new), AuditSettings()) as whole:
        counts = whole.counts
    monkeypatch.setattr("marketloop.audit.report.MAX_ROWS_PER_CHECK", 2)
    page = tmp_path / "diff.html"
    result = cli.invoke(app, ["crawl-diff", str(old), str(new), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert_html_inert(html)
    assert "\x07" not in html and "\x1b" not in html
    for kind in ("new", "changes", "added"):
        assert counts[kind] > 2
        assert (f"Showing the first 2 of {counts[kind]}; {counts[kind] - 2} more are not "
                "shown.") in html  # fmt: skip
    # two rows per list, whatever the totals
    assert len(re.findall(r'<span class="badge (?:critical|warning|notice)">', html)) <= 6
    assert f"({counts['new']})" in html
