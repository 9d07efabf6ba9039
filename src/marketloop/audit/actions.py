"""The audit stage's action: `audit` the run's (or the workspace's latest) crawl.

Gate: `gate: {fail_on: critical}` fails the step, and skips what follows it, when an issue at
least that severe is found (as `marketloop audit --fail-on` exits 1).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args, GateResult
from marketloop.audit.model import Severity


class AuditArgs(Args):
    crawl: Path | None = Field(None, description="crawl dataset; default: the latest")


class AuditGate(Args):
    fail_on: Severity = Field(description="fail when an issue is at least this severe")


def run(ctx: ActionContext, args: AuditArgs) -> ActionResult:
    from marketloop.audit.analytics import page_values
    from marketloop.audit.engine import audit
    from marketloop.audit.report import write_html
    from marketloop.audit.shown import severity_counts

    folder = args.crawl or ctx.workspace.latest_crawl()
    result = audit(folder, ctx.settings, values=page_values(ctx.settings))
    report = write_html(result, ctx.workspace.reports_dir / f"audit-{folder.name}.html")
    counts = severity_counts(result.table)
    return ActionResult(
        outputs={"issues": str(folder / "issues.parquet"), "report": str(report)},
        facts={**{s.value: counts[s.value] for s in Severity}, "tickets": len(result.tickets)},
        summary=f"{result.count} issues, {len(result.tickets)} tickets",
    )


def judge(gate: AuditGate, result: ActionResult) -> GateResult:
    found = sum(int(result.facts.get(s.value, 0)) for s in Severity if s.rank >= gate.fail_on.rank)
    if found:
        return GateResult(result="fail", reason=f"{found} issues at {gate.fail_on} or above")
    return GateResult(result="pass", reason=f"no issue at {gate.fail_on} or above")


ACTIONS = [
    Action(
        "audit",
        AuditArgs,
        run,
        "audit a crawl dataset (`marketloop audit`)",
        outputs="CRAWL/issues.parquet, WORKSPACE/reports/audit-CRAWL.html",
        reads_warehouse=True,  # the pages' GA4/GSC values rank the issues (analytics.py)
        gate=AuditGate,
        judge=judge,
    )
]
