"""Defect 8 of issue 14: every CSV marketloop writes from outside text neutralises a leading
`=`, `+`, `-`, `@`, tab or CR (OWASP CSV injection), through one helper (csvsafe.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.audit.builder import Site
from tests.hostile import FORMULA, run
from tests.plan.conftest import CASES

RISKY = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1"]


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_inert(text: str, expected: list[str]) -> None:
    found = cells(text)
    for value in expected:
        assert "'" + value in found or any(c.startswith("'" + value) for c in found), (value, found)
    assert not [c for c in found if c.startswith(("=", "+", "@", "\t", "\r"))], found


def test_the_helper() -> None:
    from marketloop.csvsafe import neutralise

    assert [neutralise(v)[0] for v in RISKY] == ["'"] * len(RISKY)
    assert neutralise("plain = fine") == "plain = fine"


def test_api_cells_use_the_same_helper() -> None:
    from marketloop.api.csvout import safe_cell
    from marketloop.csvsafe import neutralise

    assert [safe_cell(v) for v in [*RISKY, "plain = fine"]] == [
        neutralise(v) for v in [*RISKY, "plain = fine"]
    ]
    assert (safe_cell(-2), safe_cell(None), safe_cell(True)) == ("-2", "", "True")  # data
    assert safe_cell([FORMULA, "b"]) == "'" + FORMULA + "\nb"  # one item per line, inert


@pytest.mark.parametrize("to_file", [False, True])
def test_export_pages_and_links_csv(tmp_path: Path, to_file: bool) -> None:
    ops = [{"page": {"url": "/blog", "titles": [FORMULA], "h1": ["@SUM(1,1)"]}},
           {"link": {"from": "/blog", "to": "/pricing", "anchor": "-2+3"}}]  # fmt: skip
    folder = Site.clean().apply(ops).write(tmp_path / "crawl")
    for table, expected in (("pages", [FORMULA, "@SUM(1,1)"]), ("links", ["-2+3"])):
        out = tmp_path / f"{table}.csv"
        args = ["crawl-export", str(folder), table, "-w", str(tmp_path / "ws")]
        outcome = run(*args, *(["--out", str(out)] if to_file else []))
        assert outcome.code == 0, outcome.stderr
        assert_inert(out.read_text() if to_file else outcome.stdout, expected)


def test_audit_and_keywords_csv(tmp_path: Path) -> None:
    ops = [{"page": {"url": "/blog", "h1": []}},
           {"page": {"url": "/x", "titles": [FORMULA, FORMULA]}}]  # fmt: skip
    folder = Site.clean().apply(ops).write(tmp_path / "c")
    outcome = run("audit", str(folder), "--format", "csv", "-w", str(tmp_path / "ws"))
    assert outcome.code == 0, outcome.stderr
    assert not [c for c in cells(outcome.stdout) if c.startswith("=")]
    keywords = tmp_path / "kw.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([("keyword", "volume"), *((f"{k} crm", 5) for k in RISKY[:4])])
    keywords.write_text(buffer.getvalue())
    outcome = run("keywords", "cluster", str(keywords), "--mode", "lexical", "--format", "csv",
                  "-w", str(tmp_path / "ws"))  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert not [c for c in cells(outcome.stdout) if c.startswith(("=", "+", "@"))]


def test_plan_export_csv(tmp_path: Path) -> None:
    text = (CASES / "minimal.yaml").read_text().replace("title: Stand-up", f"title: '{FORMULA}'")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    outcome = run("plan", "export", "--format", "csv", "--plan", str(plan), "--at", "2026-12-08",
                  "-w", str(tmp_path / "ws"))  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "'" + FORMULA in cells(outcome.stdout)  # the meeting title is exported...
    assert not [c for c in cells(outcome.stdout) if c.startswith("=")]  # ...inert
