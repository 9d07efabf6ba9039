"""`tune dataset --source evals`: eval-run outputs that passed their suite as training data,
after a real `eval run` against the fake OpenAI API; provenance per example, dedup with the
approved briefs, and the flags' errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import app_db_url, load_settings
from marketloop.content.brief import Brief
from marketloop.content.errors import EvalError
from marketloop.content.folder import BriefFolder
from marketloop.content.guardrails import Check
from marketloop.content.tables import EvalResult
from marketloop.errors import UsageError
from marketloop.fakes.openai import FakeOpenAI

SUITE = Path(__file__).parents[1] / "cases" / "suite.yaml"
PASSING, FAILING = "brief@v1+draft@v2", "brief@v2+draft@v1"  # v1 drafts break the rules


def eval_run(cli: CliRunner) -> list[Any]:
    ran = cli.invoke(app, ["eval", "run", str(SUITE), "--prompts", f"draft@v1,{PASSING}"])
    assert ran.exit_code == 0, ran.output
    with open_app_db(app_db_url(load_settings())).connect() as connection:
        return list(connection.execute(select(EvalResult).order_by(EvalResult.id)))


def dataset(cli: CliRunner, out: Path, *args: str) -> dict[str, Any]:
    result = cli.invoke(app, ["tune", "dataset", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return manifest


def answers(out: Path) -> list[str]:
    text = (out / "train.jsonl").read_text() + (out / "validation.jsonl").read_text()
    return [json.loads(line)["messages"][-1]["content"] for line in text.splitlines()]


def test_passing_eval_outputs_become_examples(
    cli: CliRunner, llm_env: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    results = eval_run(cli)
    run_id = results[0].run_id
    manifest = dataset(cli, tmp_path / "data", "--source", "evals")
    assert manifest["sources"] == ["evals"] and manifest["briefs"] is None
    assert manifest["eval_runs"] == "all" and manifest["by_source"] == {"eval": 2}
    assert {(e["source"]["case"], e["source"]["variant"]) for e in manifest["examples"]} == {
        ("crm", PASSING),
        ("lead-scoring", PASSING),
    }
    example = manifest["examples"][0]
    assert example["source"] == {
        "kind": "eval",
        "run": run_id,
        "case": example["slug"],
        "variant": PASSING,
        "model": "gpt-4o-mini",
    }
    left_out = manifest["left_out"]
    assert {(d["source"]["variant"], d["reason"][:16]) for d in left_out} == {
        (FAILING, "failed its eval ")
    }
    assert len(left_out) == 2
    drafts = {r.output["draft"].strip() for r in results if r.variant == PASSING}
    assert set(answers(tmp_path / "data")) == drafts


def test_eval_outputs_dedupe_with_approved_briefs(
    cli: CliRunner, llm_env: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    results = eval_run(cli)
    chosen = next(r for r in results if r.variant == PASSING and r.case_id == "crm")
    brief = Brief.model_validate(chosen.output["brief"])
    folder = BriefFolder(tmp_path / "briefs")  # an editor approved the very same draft
    folder.write_brief(brief)
    folder.write_draft(brief.slug, chosen.output["draft"], [Check("c", True, "ok")])
    assert cli.invoke(app, ["tune", "review", brief.slug]).exit_code == 0
    out = tmp_path / "data"
    briefs = ["--briefs", str(folder.root)]
    manifest = dataset(cli, out, *briefs, "--source", "published", "--source", "evals")
    assert manifest["by_source"] == {"published": 1, "eval": 1}
    (duplicate,) = [d for d in manifest["left_out"] if d["reason"] == "duplicate"]
    assert duplicate["source"]["case"] == "crm"
    assert duplicate["duplicate_of"] == {"slug": brief.slug, "kind": "published"}
    assert len(answers(out)) == 2
    only_published = dataset(cli, tmp_path / "p", *briefs)  # the default source
    assert only_published["by_source"] == {"published": 1} and only_published["eval_runs"] is None


def test_eval_run_choice_and_its_errors(
    cli: CliRunner, llm_env: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    first = eval_run(cli)[0].run_id
    eval_run(cli)
    out = tmp_path / "data"
    manifest = dataset(cli, out, "--source", "evals", "--eval-run", first)
    assert manifest["eval_runs"] == [first]
    assert {e["source"]["run"] for e in manifest["examples"]} == {first}
    everything = dataset(cli, out, "--source", "evals")  # the second run repeats the first
    assert len(everything["examples"]) == 2
    assert {d["reason"] for d in everything["left_out"]} >= {"duplicate"}
    assert all(e["source"]["run"] != first for e in everything["examples"])  # newest wins
    unknown = cli.invoke(
        app, ["tune", "dataset", "--out", str(out), "--source", "evals", "--eval-run", "ev-nope"]
    )
    assert isinstance(unknown.exception, EvalError) and "no eval run ev-nope" in str(
        unknown.exception
    )
    alone = cli.invoke(app, ["tune", "dataset", "--out", str(out), "--eval-run", first])
    assert isinstance(alone.exception, UsageError)
    assert "--eval-run needs --source evals" in str(alone.exception)
