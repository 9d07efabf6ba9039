"""`marketloop eval decide`: intervals, percentiles, the rule, the decision record; and
`eval run --wandb` in offline mode."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.content.evals.decide import (
    Candidate,
    candidates,
    decide,
    failures,
    percentile,
    wilson,
)
from marketloop.fakes.openai import FakeOpenAI

SUITE = Path(__file__).parents[1] / "cases" / "suite.yaml"


def result(
    model: str, case: int, passed: bool, cost: float = 0.001, ms: float = 100.0
) -> dict[str, Any]:
    assertions = [{"name": "word_count", "passed": passed, "detail": "12 words (800–1200)"}]
    return {
        "variant": "draft@v2", "model": model, "case_id": f"case-{case}", "passed": passed,
        "cost_usd": cost, "latency_ms": ms + case, "error": None, "assertions": assertions,
    }  # fmt: skip


def test_wilson_and_percentile() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(8, 10)
    assert round(low, 3) == 0.490 and round(high, 3) == 0.943
    assert wilson(10, 10)[1] == pytest.approx(1.0) and wilson(0, 10)[0] == pytest.approx(0.0)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5 and percentile([5], 0.95) == 5
    assert percentile(list(range(101)), 0.95) == 95


def test_the_cheapest_of_the_statistically_tied_wins() -> None:
    rows = [result("big", i, i < 9, cost=0.01) for i in range(10)]
    rows += [result("small", i, i < 8, cost=0.001) for i in range(10)]
    rows += [result("bad", i, i < 2, cost=0.0001) for i in range(10)]
    found = candidates(rows, lambda m: True)
    assert [c.model for c in found] == ["big", "small", "bad"]
    assert (
        found[0].cost_per_1000 == 10.0
        and found[0].p50_ms == 104.5
        and found[0].p95_ms == pytest.approx(108.55, abs=0.06)
    )
    decision = decide(found)
    assert decision.pick is not None and decision.pick.model == "small"
    assert "not significantly below the best, draft@v2 · big (90%)" in decision.reason
    assert "$1.00 per 1,000 briefs against $10.00" in decision.reason
    assert decision.tied == ["draft@v2 · big"]
    side = failures(rows, [c.key for c in found])
    assert side[0]["case"] == "case-2" and side[0]["draft@v2 · big"] == "pass"
    assert side[0]["draft@v2 · bad"].startswith("fail: word_count")


def test_unknown_prices_rank_after_known_ones() -> None:
    rows = [result("local", i, True, cost=0.0) for i in range(5)]
    rows += [result("hosted", i, True, cost=0.002) for i in range(5)]
    decision = decide(candidates(rows, lambda m: m == "hosted"))
    assert decision.pick is not None and decision.pick.model == "hosted"
    local = next(c for c in decision.candidates if c.model == "local")
    assert local.cost_per_1000 is None
    only = decide([Candidate("v", "local", 5, 5, 0.5, 1.0, None, 1, 2, 0)])
    assert "price is unknown" in only.reason


def test_decide_writes_the_record(cli: CliRunner, llm_env: FakeOpenAI) -> None:
    hostile = "evil<script>alert(1)</script>|[/red]"
    result_ = cli.invoke(
        app,
        [
            "eval",
            "decide",
            "--suite",
            str(SUITE),
            "--candidates",
            f"gpt-4o-mini,draft@v1={hostile}",
            "--format",
            "json",
        ],
    )
    assert result_.exit_code == 0, result_.output
    assert "recommended:" in result_.output
    # the old spelling still works for one release, with a warning naming the new one
    assert "`marketloop eval decide --candidates` is deprecated" in result_.stderr
    assert "use --candidate" in result_.stderr
    folder = Path(llm_env_workspace()) / "reports" / "decisions"
    md = next(folder.glob("decision-*.md")).read_text()
    page = next(folder.glob("decision-*.html")).read_text()
    assert "## Recommendation" in md and "| candidate | cases | pass rate | 95% CI" in md
    assert "price unknown" in md  # the hostile model has no price
    assert "<script>" not in md and "&lt;script&gt;" in md and "\\|[/red]" in md
    assert (
        "<script>" not in page and "<svg" in page and "Failures side by side" in page
    ) or "Candidates" in page


def llm_env_workspace() -> str:
    return os.environ["MARKETLOOP_WORKSPACE"]


def test_decide_needs_candidates_or_runs(cli: CliRunner, llm_env: FakeOpenAI) -> None:
    result_ = cli.invoke(app, ["eval", "decide", "--suite", str(SUITE)])
    assert result_.exception is not None and "--candidate" in str(result_.exception)


def test_eval_run_logs_to_wandb_offline(
    cli: CliRunner, llm_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)  # no key: offline, nothing is sent
    result_ = cli.invoke(
        app, ["eval", "run", str(SUITE), "--model", "gpt-4o-mini", "--wandb", "briefs"]
    )
    assert result_.exit_code == 0, result_.output
    assert "logged 1 W&B runs to project briefs (offline)" in result_.output
    runs = list((Path(llm_env_workspace()) / "wandb" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and list(runs[0].glob("run-*.wandb"))
