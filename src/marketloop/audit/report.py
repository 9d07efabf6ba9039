"""The self-contained HTML audit report (shared kit: `marketloop.report`).

Charts: issues by severity, by check and by depth; the crawl overview (status codes, response
times, indexability, depth). Then the tickets, ordered by impact, and every issue in a table
per check, reachable through anchors (`#check-<id>`) from a list grouped by severity.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marketloop.audit.engine import Audit
from marketloop.audit.model import Check, Issue, Severity
from marketloop.audit.overview import overview
from marketloop.audit.registry import all_thresholds
from marketloop.audit.tickets import as_text
from marketloop.report import charts, render, write_report

#: rows shown per check; the rest are counted (use --format csv for everything)
MAX_ROWS_PER_CHECK = 2_000
DEPTH_BUCKETS = ("0", "1", "2", "3", "4", "5+", "n/a")


def render_report(result: Audit, issues: list[Issue] | None = None) -> str:
    """The report as one HTML string; `issues` narrows what is shown (filters), default all."""
    shown = result.issues if issues is None else issues
    crawl = result.dataset.manifest
    return render(
        "marketloop.audit",
        "audit_report.html",
        title=f"SEO audit · {crawl.start_url}",
        crawl=crawl,
        warning=result.warning,
        limited=result.limited,
        overview=overview(result.dataset),
        counts=Counter(i.severity.value for i in shown),
        issues_total=len(shown),
        urls_total=len({i.url for i in shown}),
        tickets=[t for t in result.tickets if any(i.check == t.check for i in shown)],
        ticket_text=as_text,
        formula=result.formula,
        sections=_sections(shown, result.plan.catalog),
        by_severity=_by_severity(shown),
        by_check=_by_check(shown),
        by_depth=_by_depth(result, shown),
        thresholds=[(t, result.plan.limits.get(t.key)) for t in all_thresholds().values()],
        disabled=result.plan.disabled,
        max_rows=MAX_ROWS_PER_CHECK,
        check_colours={
            c: charts.SEMANTIC[check.severity.value] for c, check in result.plan.catalog.items()
        },
    )


def write_html(result: Audit, path: Path, issues: list[Issue] | None = None) -> Path:
    return write_report(path, render_report(result, issues))


def _sections(issues: list[Issue], catalog: Mapping[str, Check]) -> list[dict[str, Any]]:
    """One section per check with issues, critical first, each with its rows."""
    by_check: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        by_check[issue.check].append(issue)
    ordered = sorted(by_check, key=lambda c: (-catalog[c].severity.rank, c))
    return [
        {"check": catalog[c], "count": len(by_check[c]), "rows": by_check[c][:MAX_ROWS_PER_CHECK]}
        for c in ordered
    ]


def _by_severity(issues: list[Issue]) -> list[tuple[str, float]]:
    counts = Counter(i.severity.value for i in issues)
    return [(s.value, float(counts[s.value])) for s in Severity]


def _by_check(issues: list[Issue]) -> list[tuple[str, float]]:
    counts = Counter(i.check for i in issues)
    return [(check, float(n)) for check, n in counts.most_common(25)]


def _by_depth(result: Audit, issues: list[Issue]) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {s.value: [0.0] * len(DEPTH_BUCKETS) for s in Severity}
    for issue in issues:
        depth = result.depths.get(issue.url)
        bucket = "n/a" if depth is None else ("5+" if depth >= 5 else str(depth))
        series[issue.severity.value][DEPTH_BUCKETS.index(bucket)] += 1
    return series
