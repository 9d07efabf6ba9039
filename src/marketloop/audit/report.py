"""The self-contained HTML audit report (shared kit: `marketloop.report`).

Charts: issues by severity, by check and by depth; the crawl overview (status codes, response
times, indexability, depth). Then the tickets, ordered by impact, and a table per check with
its count and its highest-priority issues (at most `MAX_ROWS_PER_CHECK`; the rest are counted
and the full exports named), reachable through anchors (`#check-<id>`) from a list grouped by
severity.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from marketloop.audit import shown as show
from marketloop.audit.engine import Audit
from marketloop.audit.model import Severity
from marketloop.audit.overview import overview
from marketloop.audit.registry import all_thresholds
from marketloop.audit.store import ISSUES_FILE
from marketloop.audit.tickets import as_text
from marketloop.report import charts, render, write_report

#: rows shown per check, highest priority first; the rest are counted and the report points to
#: the full exports (`--format csv`, DIR/issues.parquet), so a million-page crawl's report
#: stays a few megabytes
MAX_ROWS_PER_CHECK = 500
DEPTH_BUCKETS = show.DEPTH_BUCKETS


def render_report(result: Audit, issues: pa.Table | None = None) -> str:
    """The report as one HTML string; `issues` (rows of `result.table`) narrows what is shown
    (filters), default all. Counts and charts cover every row; each check lists its first
    `MAX_ROWS_PER_CHECK`."""
    shown = result.table if issues is None else issues
    crawl = result.dataset.manifest
    checks = show.check_counts(shown)
    return render(
        "marketloop.audit",
        "audit_report.html",
        title=f"SEO audit · {crawl.start_url}",
        crawl=crawl,
        warning=result.warning,
        limited=result.limited,
        overview=overview(result.dataset),
        counts=show.severity_counts(shown),
        issues_total=shown.num_rows,
        urls_total=show.url_count(shown),
        tickets=[t for t in result.tickets if t.check in checks],
        ticket_text=as_text,
        formula=result.formula,
        sections=_sections(result, shown, checks),
        by_severity=_by_severity(shown),
        by_check=[(check, float(n)) for check, n in list(checks.items())[:25]],
        by_depth=show.by_depth(shown),
        thresholds=[(t, result.plan.limits.get(t.key)) for t in all_thresholds().values()],
        disabled=result.plan.disabled,
        max_rows=MAX_ROWS_PER_CHECK,
        issues_file=result.dataset.folder / ISSUES_FILE,
        check_colours={
            c: charts.SEMANTIC[check.severity.value] for c, check in result.plan.catalog.items()
        },
    )


def write_html(result: Audit, path: Path, issues: pa.Table | None = None) -> Path:
    return write_report(path, render_report(result, issues))


def _sections(result: Audit, shown: pa.Table, checks: dict[str, int]) -> list[dict[str, object]]:
    """One section per check with issues, critical first, each with its first rows."""
    catalog = result.plan.catalog
    ordered = sorted(checks, key=lambda c: (-catalog[c].severity.rank, c))
    rows = show.first_per_check(shown, ordered, MAX_ROWS_PER_CHECK)
    return [{"check": catalog[c], "count": checks[c], "rows": rows[c]} for c in ordered]


def _by_severity(shown: pa.Table) -> list[tuple[str, float]]:
    counts = show.severity_counts(shown)
    return [(s.value, float(counts[s.value])) for s in Severity]
