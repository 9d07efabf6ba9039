"""The data quality action: `quality` (what `marketloop quality run` runs), and its gate.

The gate is always on: a run whose status is `fail` (or `warn`, with `gate: {fail_on: warn}`)
fails the step, skips every later step that reads the warehouse, and fails the run with the
reason, as `dbt build` skips what follows a failing test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args, GateResult

RANK = {"pass": 0, "warn": 1, "fail": 2}


class QualityArgs(Args):
    full_refresh: bool = False


class QualityGate(Args):
    fail_on: Literal["warn", "fail"] = Field("fail", description="the status that fails")


def run(ctx: ActionContext, args: QualityArgs) -> ActionResult:
    from marketloop.quality.report_html import write_html
    from marketloop.quality.run import run_quality

    report = run_quality(ctx.settings, full_refresh=args.full_refresh)
    path = write_html(report, ctx.workspace.reports_dir / "data-health.html")
    failing = [
        t.get("name") or t.get("unique_id")
        for t in report.get("tests", [])
        if t.get("status") in {"fail", "error"}
    ]
    return ActionResult(
        outputs={"data health report": str(path)},
        facts={
            "status": report["status"],
            "run_id": report["run_id"],
            "failing": failing[:10],
            # newest load per source: marketloop_source_freshness_seconds reads it (observe/)
            "loaded": {
                f["source"]: f["max_loaded_at"]
                for f in report.get("freshness", [])
                if f.get("kind") == "load" and f.get("max_loaded_at")
            },
        },
        summary=f"data health {report['status']} ({len(report.get('tests', []))} tests)",
    )


def judge(gate: QualityGate, result: ActionResult) -> GateResult:
    status = str(result.facts["status"])
    if RANK.get(status, 2) >= RANK[gate.fail_on]:
        failing = ", ".join(map(str, result.facts.get("failing") or [])) or "see the report"
        return GateResult(result="fail", reason=f"data quality {status}: {failing}")
    return GateResult(result="pass", reason=f"data quality {status}")


ACTIONS = [
    Action(
        "quality",
        QualityArgs,
        run,
        "dbt freshness, build and tests; the data health report (`marketloop quality run`)",
        outputs="WORKSPACE/reports/data-health.html",
        writes_warehouse=True,
        gate=QualityGate,
        judge=judge,
        gate_always=True,
        gate_blocks="warehouse_readers",
    )
]
