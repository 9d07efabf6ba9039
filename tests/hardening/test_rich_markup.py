"""Defect 1 of issue 14: text from data reaches Rich escaped. A title, H1, keyword, task or
person containing `[/]` used to crash `audit`, `crawl-diff`, `plan show`, `plan status` and
`keywords cluster` with MarkupError, and `[red]x[/red]` was rendered as colour."""

from __future__ import annotations

from pathlib import Path

from tests.audit.builder import Site
from tests.hostile import CONTROL, MARKUP, assert_markup_inert
from tests.plan.conftest import CASES
from typer.testing import CliRunner

from marketloop.cli import app

HOSTILE_OPS = [
    {"page": {"url": "/blog", "titles": [MARKUP], "h1": [MARKUP]}},
    {"page": {"url": "/[/]", "status": 404}},
    {"link": {"from": "/blog", "to": "/[/]", "anchor": MARKUP}},
]


def invoke(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    assert not result.exception or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


def test_plain_and_esc_keep_markup_and_drop_control_characters() -> None:
    from marketloop.clikit import esc, plain

    assert plain(MARKUP).plain == MARKUP
    assert "\x1b" not in plain(CONTROL).plain and "\x07" not in esc(CONTROL)
    assert esc("[/]") == "\\[/]"


def test_audit_and_crawl_diff_tables_print_markup_literally(cli: CliRunner, tmp_path: Path) -> None:
    old = Site.clean().write(tmp_path / "old")
    new = Site.clean().apply(HOSTILE_OPS).write(tmp_path / "new")
    code, out = invoke(cli, "audit", str(new), "-w", str(tmp_path / "ws"))
    assert code == 0, out
    assert "/[/]" in out
    code, out = invoke(cli, "crawl-diff", str(old), str(new), "-w", str(tmp_path / "ws"))
    assert code == 0, out
    assert_markup_inert(out)


def test_plan_show_and_status_print_markup_literally(cli: CliRunner, tmp_path: Path) -> None:
    text = (CASES / "minimal.yaml").read_text()
    text = text.replace("name: Minimal sprint", f"name: '{MARKUP}'")
    text = text.replace("{name: Ann,", f"{{name: '{MARKUP}',")
    text = text.replace("focus: Kickoff", f"focus: '{MARKUP}'")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    base = ["--plan", str(plan), "-w", str(tmp_path / "ws")]
    code, out = invoke(cli, "plan", "slip", "day2", "--days", "1", "--reason", MARKUP,
                       "--at", "2026-12-08T10:00", *base)  # fmt: skip
    assert code == 0, out
    for command in ("show", "status"):
        code, out = invoke(cli, "plan", command, "--at", "2026-12-09T12:00", *base)
        assert code == 0, out
        assert_markup_inert(out)


def test_keywords_cluster_prints_markup_literally(cli: CliRunner, tmp_path: Path) -> None:
    keywords = tmp_path / "keywords.csv"
    rows = [f"{MARKUP} crm {n},100" for n in range(6)] + ["crm software,50", "crm tools,40"]
    keywords.write_text(
        "keyword,volume\n"
        + "\n".join(f'"{r.split(",")[0]}",{r.split(",")[1]}' for r in rows)
        + "\n"
    )
    code, out = invoke(cli, "keywords", "cluster", str(keywords), "--mode", "lexical",
                       "-w", str(tmp_path / "ws"))  # fmt: skip
    assert code == 0, out
    assert "[/]" in out and "[red]" in out
