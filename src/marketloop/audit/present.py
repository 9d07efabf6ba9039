"""How `marketloop audit` shows a result: ticket and issue tables, JSON, CSV or the HTML report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from marketloop.audit import shown as show
from marketloop.audit.engine import Audit
from marketloop.audit.model import Severity
from marketloop.clikit import console, emit_rows, esc, stdout
from marketloop.workspace import Workspace, open_atomic

if TYPE_CHECKING:
    from marketloop.audit.diff import CrawlDiff


def emit(
    result: Audit, shown: pa.Table, fmt: str, out: Path | None, limit: int, ws: Workspace
) -> None:
    """Print `shown` (rows of `result.table`) as tables, JSON or CSV, or write it to `out`;
    html always goes to a file. JSON and CSV are written in batches, every row."""
    if fmt == "html":
        from marketloop.audit.report import write_html

        crawl_id = result.dataset.manifest.crawl_id
        path = write_html(result, out or ws.ensure().reports_dir / f"audit-{crawl_id}.html", shown)
        console.print(f"report: [link=file://{esc(path.resolve())}]{esc(path)}[/link]")
    elif fmt == "table":
        tables(result, shown, limit)
    else:
        write = show.write_json if fmt == "json" else show.write_csv
        if out is None:
            write(shown, sys.stdout)
            return
        with open_atomic(out) as sink:
            write(shown, sink)
        console.print(f"wrote {esc(out)}")


def tables(result: Audit, shown: pa.Table, limit: int) -> None:
    """A one-line summary, the tickets by impact, and the top issues by priority."""
    checks = set(show.check_counts(shown))
    tickets = [t for t in result.tickets if t.check in checks]
    counts = show.severity_counts(shown)
    per_severity = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity)
    console.print(
        f"crawl {esc(result.dataset.manifest.crawl_id)}: {shown.num_rows} issues on "
        f"{show.url_count(shown)} URLs ({per_severity}) in {len(tickets)} tickets"
    )
    if not shown.num_rows:
        return
    rows = [
        {"#": n, "severity": t.severity.value, "check": t.check, "urls": t.urls,
         "impact": t.impact, "top examples": [i.url for i in t.examples[:3]]}
        for n, t in enumerate(tickets, 1)
    ]  # fmt: skip
    emit_rows(rows, "table", title="Tickets, by impact")
    top = [i.as_row() for i in show.head(shown, limit)]
    columns = ["severity", "check", "url", "detail", "priority"]
    emit_rows(top, "table", columns=columns, title=f"Top {len(top)} of {shown.num_rows} issues")


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
