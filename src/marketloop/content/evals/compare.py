"""Side by side: one summary per (run, prompt variant, model) from stored eval results, as
table rows or a self-contained HTML report with charts (the shared `marketloop.report` kit)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from marketloop.content.evals.judge import mean_score
from marketloop.report import render


@dataclass
class Summary:
    run_id: str
    variant: str
    model: str
    cases: int = 0
    passed: int = 0
    errors: int = 0
    assertions: dict[str, float | None] = field(default_factory=dict)  # pass rate per assertion
    judge: float | None = None
    criteria: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0  # mean per case
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.variant} · {self.model}"

    @property
    def pass_rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


def summarise(results: list[dict[str, Any]]) -> list[Summary]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in results:
        groups[(row["run_id"], row["variant"], row["model"])].append(row)
    return [_summary(key, rows) for key, rows in groups.items()]


def _summary(key: tuple[str, str, str], rows: list[dict[str, Any]]) -> Summary:
    summary = Summary(*key, cases=len(rows))
    summary.passed = sum(bool(r["passed"]) for r in rows)
    summary.errors = sum(bool(r["error"]) for r in rows)
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        for item in row["assertions"]:
            outcomes.setdefault(item["name"], [])
            if item["passed"] is not None:
                outcomes[item["name"]].append(bool(item["passed"]))
    summary.assertions = {
        name: (sum(seen) / len(seen) if seen else None) for name, seen in outcomes.items()
    }
    judged = [m for r in rows if (m := mean_score(r["judge"])) is not None]
    summary.judge = round(sum(judged) / len(judged), 2) if judged else None
    by_criterion: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        for score in row["judge"] or []:
            by_criterion[score["name"]].append(score["score"])
    summary.criteria = {n: round(sum(v) / len(v), 2) for n, v in by_criterion.items()}
    summary.latency_ms = round(sum(r["latency_ms"] for r in rows) / len(rows), 1)
    summary.prompt_tokens = sum(r["prompt_tokens"] for r in rows)
    summary.completion_tokens = sum(r["completion_tokens"] for r in rows)
    summary.cost_usd = round(sum(r["cost_usd"] for r in rows), 6)
    return summary


def summary_rows(summaries: list[Summary], *, with_run: bool) -> list[dict[str, Any]]:
    """Table rows: the columns every row shares, then one pass-rate column per assertion."""
    names = sorted({n for s in summaries for n in s.assertions})
    rows = []
    for s in sorted(summaries, key=lambda s: (-s.pass_rate, s.key)):
        row: dict[str, Any] = {"run": s.run_id} if with_run else {}
        row.update(variant=s.variant, model=s.model, cases=s.cases, pass_rate=s.pass_rate)
        row.update({name: s.assertions.get(name) for name in names})
        row.update(
            judge=s.judge,
            latency_ms=s.latency_ms,
            tokens=s.prompt_tokens + s.completion_tokens,
            cost_usd=s.cost_usd,
            errors=s.errors,
        )
        rows.append(row)
    return rows


def render_html(runs: list[dict[str, Any]], results: list[dict[str, Any]]) -> str:
    summaries = sorted(summarise(results), key=lambda s: (-s.pass_rate, s.key))
    names = sorted({n for s in summaries for n in s.assertions})
    keys = [s.key for s in summaries]
    grid: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in results:
        grid[row["case_id"]][f"{row['variant']} · {row['model']}"] = row
    return render(
        "marketloop.content",
        "eval_compare.html",
        title=f"Eval comparison: {', '.join(sorted({r['suite'] for r in runs}))}",
        runs=runs,
        summaries=summaries,
        assertion_names=names,
        keys=keys,
        grid=dict(sorted(grid.items())),
        best=summaries[0] if summaries else None,
        totals={
            "results": len(results),
            "tokens": sum(s.prompt_tokens + s.completion_tokens for s in summaries),
            "cost": sum(s.cost_usd for s in summaries),
        },
        bars={
            "pass": [(s.key, round(s.pass_rate * 100, 1)) for s in summaries],
            "judge": [(s.key, s.judge) for s in summaries if s.judge is not None],
            "cost": [(s.key, round(s.cost_usd * 100, 3)) for s in summaries],  # US cents
            "latency": [(s.key, s.latency_ms) for s in summaries],
        },
    )
