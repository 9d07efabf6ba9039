"""Issue 14: every HTML output, fed hostile titles, anchors, URLs (with `&`, quotes and
`<script>`), keywords, case names and model output, shows them as text (the audit, plan memo
and data health reports are covered in their stages' tests: tests/audit/test_cli.py,
tests/plan/test_cli.py, tests/quality/test_run.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.hostile import HTML, MARKUP, assert_html_inert, run
from tests.keywords.conftest import write_crawl
from tests.plan.conftest import CASES

URL_PATH = "/q?a=1&b=\"'><script>alert(1)</script>"


def no_live_links(html: str) -> None:
    """No href a click would run: javascript: and data: URLs stay text."""
    assert not re.search(r"""href=["']?\s*(javascript|data|vbscript):""", html, re.I)


def test_keywords_report(tmp_path: Path) -> None:
    keywords = tmp_path / "kw.csv"
    keywords.write_text(
        "keyword,volume,url\n"
        f'"{HTML.replace(chr(34), chr(34) * 2)} crm",10,javascript:alert(1)\n'
        f'"crm {MARKUP}",5,https://www.loopmetrics.example{URL_PATH}\n'
        '"crm tools",4,\n'
    )
    crawl = write_crawl(tmp_path / "crawl", [(URL_PATH, HTML, HTML), ("/crm", "CRM", "crm")])
    out = tmp_path / "keywords.html"
    outcome = run("keywords", "gaps", str(keywords), "--crawl", str(crawl), "--mode", "lexical",
                  "-f", "html", "-o", str(out), "-w", str(tmp_path / "ws"))  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    html = out.read_text()
    assert_html_inert(html)
    no_live_links(html)


def test_plan_memo_of_a_hostile_plan(tmp_path: Path) -> None:
    text = (CASES / "minimal.yaml").read_text()
    for old in ("Minimal sprint", "Ann", "Kickoff", "Scope", "Project Lead"):
        text = text.replace(old, HTML.replace("'", "''").join("''"), 1)
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    base = ("--plan", str(plan), "-w", str(tmp_path / "ws"))
    assert (
        run("plan", "block", "day2", "--reason", HTML, "--at", "2026-12-08T10:00", *base).code == 0
    )
    outcome = run("plan", "memo", "--format", "html", "--at", "2026-12-09T12:00", *base)
    assert outcome.code == 0, outcome.stderr
    assert_html_inert(outcome.stdout)


def test_eval_compare_report(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    quoted = HTML.replace("'", "''")
    suite.write_text(
        "name: hostile\ncases:\n"
        f"  - id: case-1\n    cluster:\n      cluster: '{quoted}'\n"
        f"      keywords: ['{quoted}', 'crm software']\n      intent: commercial\n"
        "      volume: 10\n      opportunity: 1.0\n"
        f"    terms: ['{quoted}']\n"
    )
    ws = str(tmp_path / "ws")
    outcome = run("eval", "run", str(suite), "--provider", "offline", "-w", ws)
    assert outcome.code == 0, outcome.stderr
    out = tmp_path / "compare.html"
    outcome = run("eval", "compare", "--format", "html", "--out", str(out), "-w", ws)
    assert outcome.code == 0, outcome.stderr
    html = out.read_text()
    assert "&lt;script&gt;" in html or "&amp;lt;script" in html, "the hostile terms were shown"
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
