"""The decision record of `marketloop eval decide`, as Markdown (for a repository or a ticket)
and as a self-contained HTML report with charts; both kept in WORKSPACE/reports/decisions/."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketloop.content.evals.decide import Candidate, Decision
from marketloop.report import render, write_report
from marketloop.workspace import write_atomic


def write_record(
    folder: Path, suite: str, runs: list[str], decision: Decision, failures: list[dict[str, Any]]
) -> tuple[Path, Path]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"decision-{_safe(suite)}-{stamp}"
    md = write_atomic(base.with_suffix(".md"), markdown(suite, runs, decision, failures))
    page = write_report(base.with_suffix(".html"), render_html(suite, runs, decision, failures))
    return md, page


def markdown(
    suite: str, runs: list[str], decision: Decision, failures: list[dict[str, Any]]
) -> str:
    pick = decision.pick
    lines = [
        f"# Pilot stack decision: {_cell(suite)}",
        "",
        f"Eval runs: {', '.join(f'`{_cell(r)}`' for r in runs)}. "
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `marketloop eval decide`.",
        "",
        "## Recommendation",
        "",
        f"**{_cell(pick.key)}**" if pick else "**none**",
        "",
        _cell(decision.reason) + ".",
        "",
        "## Candidates",
        "",
        "| candidate | cases | pass rate | 95% CI | cost / 1,000 briefs | p50 ms | p95 ms "
        "| errors |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [_row(c) for c in decision.candidates]
    lines += [
        "",
        "Pass rate: share of cases where every assertion that applies passed. The interval is "
        "Wilson's; cost is the mean cost of a case × 1,000.",
    ]
    if failures:
        keys = [c.key for c in decision.candidates]
        lines += [
            "",
            "## Failures side by side",
            "",
            "| case | " + " | ".join(map(_cell, keys)) + " |",
        ]
        lines.append("| --- |" + " --- |" * len(keys))
        lines += [
            "| " + " | ".join(_cell(str(f[k])) for k in ["case", *keys]) + " |" for f in failures
        ]
    return "\n".join(lines) + "\n"


def render_html(
    suite: str, runs: list[str], decision: Decision, failures: list[dict[str, Any]]
) -> str:
    found = decision.candidates
    return render(
        "marketloop.content",
        "eval_decision.html",
        title=f"Pilot stack decision: {suite}",
        runs=runs,
        decision=decision,
        failures=failures,
        keys=[c.key for c in found],
        bars={
            "pass": [(c.key, round(c.pass_rate * 100, 1)) for c in found],
            "cost": [(c.key, c.cost_per_1000) for c in found if c.cost_per_1000 is not None],
            "p95": [(c.key, round(c.p95_ms)) for c in found],
        },
    )


def _row(c: Candidate) -> str:
    cost = "price unknown" if c.cost_per_1000 is None else f"${c.cost_per_1000:,.2f}"
    cells = [
        _cell(c.key), str(c.cases), f"{c.pass_rate:.0%}", f"{c.low:.0%}–{c.high:.0%}", cost,
        f"{c.p50_ms:,.0f}", f"{c.p95_ms:,.0f}", str(c.errors),
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    """Text from outside, safe in a Markdown table: no HTML, no pipes, one line."""
    flat = " ".join(text.split())
    return html.escape(flat, quote=False).replace("|", "\\|").replace("`", "'")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60] or "suite"
