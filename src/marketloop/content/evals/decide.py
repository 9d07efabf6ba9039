"""The pilot-stack decision from eval results (the pure core of `marketloop eval decide`):
per candidate (prompt variant × model) the pass rate with its 95% Wilson interval, the cost of
1,000 briefs, latency p50/p95 per case, and the failures side by side; then the recommendation.

The rule, stated in the record: among the candidates whose pass rate is not significantly
below the best one's (their interval reaches the best's lower bound), take the cheapest per
1,000 briefs (a candidate without a known price ranks after the priced ones), then the fastest
at p95. A candidate the data cannot tell from the best is not worth paying more for.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Z95 = 1.959964


@dataclass(frozen=True)
class Candidate:
    variant: str
    model: str
    cases: int
    passed: int
    low: float
    high: float
    cost_per_1000: float | None  # None: the model's price is unknown
    p50_ms: float
    p95_ms: float
    errors: int

    @property
    def key(self) -> str:
        return f"{self.variant} · {self.model}"

    @property
    def pass_rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


@dataclass
class Decision:
    candidates: list[Candidate]
    pick: Candidate | None
    reason: str
    tied: list[str] = field(default_factory=list)


def wilson(passed: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound for small n and rates near 0 or 1)."""
    if n == 0:
        return 0.0, 1.0
    p = passed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def candidates(results: Sequence[dict[str, Any]], priced: Callable[[str], bool]) -> list[Candidate]:
    """One candidate per (variant, model) over stored eval results."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in results:
        groups[(row["variant"], row["model"])].append(row)
    found = []
    for (variant, model), rows in groups.items():
        passed = sum(bool(r["passed"]) for r in rows)
        low, high = wilson(passed, len(rows))
        cost = sum(r["cost_usd"] for r in rows) / len(rows) * 1000
        latencies = [r["latency_ms"] for r in rows]
        found.append(
            Candidate(
                variant, model, len(rows), passed, round(low, 4), round(high, 4),
                round(cost, 4) if priced(model) else None,
                round(percentile(latencies, 0.5), 1), round(percentile(latencies, 0.95), 1),
                sum(bool(r["error"]) for r in rows),
            )
        )  # fmt: skip
    return sorted(found, key=lambda c: (-c.pass_rate, c.key))


def decide(found: list[Candidate]) -> Decision:
    if not found:
        return Decision([], None, "no candidates were evaluated")
    best = max(found, key=lambda c: (c.pass_rate, c.low))
    tied = [c for c in found if c.high >= best.low]
    pick = min(tied, key=_rank)
    others = [c.key for c in tied if c is not pick]
    if pick is best and not others:
        reason = (
            f"{pick.key} passes {pick.pass_rate:.0%} of cases, significantly more than the others"
        )
    elif pick is best:
        reason = (
            f"{pick.key} has the best pass rate ({pick.pass_rate:.0%}) and is also the "
            f"cheapest of the candidates the data cannot tell apart from it"
        )
    else:
        reason = (
            f"{pick.key} passes {pick.pass_rate:.0%} (95% CI {pick.low:.0%}–{pick.high:.0%}), "
            f"not significantly below the best, {best.key} ({best.pass_rate:.0%}), "
            f"at {_cost(pick)} per 1,000 briefs against {_cost(best)}"
        )
    if pick.cost_per_1000 is None:
        reason += "; its price is unknown: set it under [llm.prices] to compare costs"
    return Decision(found, pick, reason, others)


def failures(
    results: Sequence[dict[str, Any]], keys: Sequence[str], limit: int = 8
) -> list[dict[str, Any]]:
    """Cases that failed for at least one candidate, with each candidate's outcome."""
    grid: dict[str, dict[str, str]] = defaultdict(dict)
    for row in results:
        grid[row["case_id"]][f"{row['variant']} · {row['model']}"] = _outcome(row)
    rows = []
    for case_id, outcomes in sorted(grid.items()):
        passed = [text == "pass" for text in outcomes.values()]
        if not all(passed):  # cases the candidates disagree on first: they tell them apart
            row = {"case": case_id, **{k: outcomes.get(k, "–") for k in keys}}
            rows.append((not any(passed), row))
    return [row for _, row in sorted(rows, key=lambda r: r[0])][:limit]


def _outcome(row: dict[str, Any]) -> str:
    if row["passed"]:
        return "pass"
    if row["error"]:
        return f"error: {row['error']}"
    failed = [a for a in row["assertions"] if a["passed"] is False]
    return (
        "fail: " + "; ".join(f"{a['name']} ({a['detail']})" for a in failed[:2])
        if failed
        else "fail: judge"
    )


def _rank(c: Candidate) -> tuple[bool, float, float, float]:
    return (c.cost_per_1000 is None, c.cost_per_1000 or 0.0, c.p95_ms, -c.pass_rate)


def _cost(c: Candidate) -> str:
    return "price unknown" if c.cost_per_1000 is None else f"${c.cost_per_1000:.2f}"
