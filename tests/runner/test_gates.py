"""The stage gates as a loop meets them: the audit's `fail_on` on a real audit of a crawl
dataset, and the judges of the eval (`min_pass_rate`) and quality (`fail_on`) gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.audit.builder import Site
from tests.audit.test_cli import DEFECTS

from marketloop.actions import ActionResult, get_action
from marketloop.config import Settings
from marketloop.runner import service
from marketloop.runner.model import Loop

MakeLoop = Callable[..., Loop]


def _loop(make_loop: MakeLoop, crawl: Path, fail_on: str) -> Loop:
    return make_loop(
        f"  audit: {{action: audit, with: {{crawl: '{crawl}'}}, gate: {{fail_on: {fail_on}}}}}\n"
        "  tickets: {action: noop, needs: [audit]}\n"
        "  ingest: {action: noop}\n"
    )


def test_an_audit_gate_fails_the_run_and_skips_what_needs_the_audit(
    settings: Settings, make_loop: MakeLoop, tmp_path: Path
) -> None:
    crawl = Site.clean().apply(DEFECTS).write(tmp_path / "crawl")  # 1 critical, 1 warning
    run = service.start_run(settings, _loop(make_loop, crawl, "critical"), inline=True)
    steps = {s.name: s for s in run.steps}
    assert steps["audit"].status == "failed"
    assert steps["audit"].gate == {"result": "fail", "reason": "1 issues at critical or above"}
    assert (steps["tickets"].status, steps["ingest"].status) == ("skipped", "succeeded")
    assert run.status == "failed" and run.reason == "audit: 1 issues at critical or above"
    assert steps["audit"].outputs["report"].endswith(".html")  # the report is kept anyway


def test_a_clean_audit_passes_its_gate(
    settings: Settings, make_loop: MakeLoop, tmp_path: Path
) -> None:
    crawl = Site.clean().write(tmp_path / "crawl")
    run = service.start_run(settings, _loop(make_loop, crawl, "warning"), inline=True)
    assert run.status == "succeeded", run
    assert run.steps[0].gate == {"result": "pass", "reason": "no issue at warning or above"}


@pytest.mark.parametrize(
    ("rates", "result", "reason"),
    [
        ({"brief@v1 × m": 0.9, "brief@v2 × m": 0.8}, "pass", "every pass rate ≥ 80%"),
        ({"brief@v1 × m": 0.9, "<b>[/]v2</b> × m": 0.5}, "fail", "<b>[/]v2</b> × m 50%"),
        ({}, "fail", "no results"),  # nothing evaluated is no evidence: never publish on it
    ],
)
def test_the_eval_gate_needs_every_pass_rate(
    rates: dict[str, float], result: str, reason: str
) -> None:
    action = get_action("eval")
    assert action.gate is not None and action.judge is not None
    gate = action.gate.model_validate({"min_pass_rate": 0.8})
    judged = action.judge(gate, ActionResult(facts={"pass_rates": rates}))
    assert judged.result == result and reason in judged.reason


@pytest.mark.parametrize(
    ("status", "fail_on", "result"),
    [
        ("pass", "fail", "pass"),
        ("warn", "fail", "pass"),
        ("warn", "warn", "fail"),
        ("fail", "fail", "fail"),
        ("error", "fail", "fail"),  # an unknown status counts as a failure
    ],
)
def test_the_quality_gate_follows_quality_runs_exit(status: str, fail_on: str, result: str) -> None:
    action = get_action("quality")
    assert action.gate is not None and action.judge is not None and action.gate_always
    gate = action.gate.model_validate({"fail_on": fail_on})
    facts = {"status": status, "failing": ["not_null_ga4_sessions"]}
    assert action.judge(gate, ActionResult(facts=facts)).result == result
