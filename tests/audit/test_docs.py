"""The generated docs (docs/checks.md, docs/cli.md) document every check and are fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop import docgen
from marketloop.audit.registry import all_checks

DOCS = Path(__file__).parents[2] / "docs"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return docgen.generate()


def test_every_registered_check_is_documented() -> None:
    committed = (DOCS / "checks.md").read_text(encoding="utf-8")
    undocumented = [c.id for c in all_checks() if f"\n### {c.id}\n" not in committed]
    assert undocumented == [], "run `make docs`"


@pytest.mark.parametrize("name", ["checks.md", "cli.md"])
def test_committed_docs_are_fresh(generated: dict[str, str], name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == generated[name], f"docs/{name} is stale: run `make docs`"


def test_cli_reference_walks_every_command(generated: dict[str, str]) -> None:
    for command in ("audit", "crawl-diff", "crawl-export", "plan export", "demo"):
        assert f"\n## marketloop {command}\n" in generated["cli.md"]
    assert "--fail-on" in generated["cli.md"]
    assert "\n## marketloop export\n" not in generated["cli.md"]  # the old spelling: not listed
    assert "## The convention every command follows" in generated["cli.md"]
    assert "| `marketloop export` | `marketloop crawl-export` |" in generated["cli.md"]


def test_check_mode_reports_stale_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docgen, "generate", lambda: {"checks.md": "# Checks\n"})
    assert docgen.main([str(tmp_path), "--check"]) == 1
    assert docgen.main([str(tmp_path)]) == 0
    assert docgen.main([str(tmp_path), "--check"]) == 0
