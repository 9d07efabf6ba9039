"""How `marketloop audit` shows a result: ticket and issue tables, JSON, CSV or the HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketloop.audit.engine import Audit
from marketloop.audit.model import Issue, Severity
from marketloop.clikit import console, emit_rows, esc, rows_to_csv, stdout, to_jsonable
from marketloop.report import write_report
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    from marketloop.audit.diff import CrawlDiff

ISSUE_COLUMNS = ["check", "severity", "url", "detail", "value", "threshold", "priority"]


def emit(
    result: Audit, shown: list[Issue], fmt: str, out: Path | None, limit: int, ws: Workspace
) -> None:
    """Print `shown` as tables, JSON or CSV, or write it to `out`; html always goes to a file."""
    rows = [i.as_row() for i in shown]
    if fmt == "html":
        from marketloop.audit.report import write_html

        crawl_id = result.dataset.manifest.crawl_id
        path = write_html(result, out or ws.ensure().reports_dir / f"audit-{crawl_id}.html", shown)
        console.print(f"report: [link=file://{esc(path.resolve())}]{esc(path)}[/link]")
    elif fmt == "table":
        tables(result, shown, limit)
    elif out is None:
        emit_rows(rows, fmt, columns=ISSUE_COLUMNS)
    else:
        text = (
            json.dumps(to_jsonable(rows), indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else rows_to_csv(rows, ISSUE_COLUMNS)
        )
        console.print(f"wrote {esc(write_report(out, text))}")


def tables(result: Audit, shown: list[Issue], limit: int) -> None:
    """A one-line summary, the tickets by impact, and the top issues by priority."""
    checks = {i.check for i in shown}
    tickets = [t for t in result.tickets if t.check in checks]
    per_severity = ", ".join(f"{sum(i.severity is s for i in shown)} {s.value}" for s in Severity)
    console.print(
        f"crawl {esc(result.dataset.manifest.crawl_id)}: {len(shown)} issues on "
        f"{len({i.url for i in shown})} URLs ({per_severity}) in {len(tickets)} tickets"
    )
    if not shown:
        return
    rows = [
        {"#": n, "severity": t.severity.value, "check": t.check, "urls": t.urls,
         "impact": t.impact, "top examples": [i.url for i in t.examples[:3]]}
        for n, t in enumerate(tickets, 1)
    ]  # fmt: skip
    emit_rows(rows, "table", title="Tickets, by impact")
    top = [i.as_row() for i in shown[:limit]]
    columns = ["severity", "check", "url", "detail", "priority"]
    emit_rows(top, "table", columns=columns, title=f"Top {len(top)} of {len(shown)} issues")


def write_diff_html(result: CrawlDiff, path: Path) -> Path:
    """`crawl-diff --format html`: one self-contained page."""
    from marketloop.report import render, write_report

    title = "Crawl comparison"
    return write_report(
        path, render("marketloop.audit", "crawl_diff.html", title=title, diff=result)
    )


def diff_tables(result: CrawlDiff, limit: int) -> None:
    """`crawl-diff --format table`: the summary, then each non-empty list cut at `limit` rows."""
    emit_rows(result.summary(), "table", title=f"{result.old_crawl} → {result.new_crawl}")
    issue_columns = ["severity", "check", "url", "detail"]
    for title, issues in (("New issues", result.new_issues),
                          ("Resolved issues", result.resolved_issues),
                          ("Persisting issues", result.persisting_issues)):  # fmt: skip
        _cut_table(title, [i.as_row() for i in issues], limit, issue_columns)
    _cut_table("Changed pages", [c.__dict__ for c in result.changed_pages], limit, what="changes")
    for title, urls in (("Added pages", result.added_pages),
                        ("Removed pages", result.removed_pages)):  # fmt: skip
        _cut_table(title, [{"url": u} for u in urls], limit)


def _cut_table(
    title: str,
    rows: list[dict[str, Any]],
    limit: int,
    columns: list[str] | None = None,
    what: str | None = None,
) -> None:
    """One table of at most `limit` rows, and a line counting the rows left out."""
    if not rows:
        return
    emit_rows(rows[:limit], "table", columns=columns, title=title)
    if len(rows) > limit:
        left = f"{len(rows) - limit} more {what or title.lower()}"
        stdout.print(f"(+{left}: raise --limit, or use --format json)")
