"""How `marketloop audit` and `crawl-diff` show a result: tables, JSON, CSV or the HTML report."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa

from marketloop import clikit
from marketloop.audit import shown as show
from marketloop.audit.engine import Audit
from marketloop.audit.model import Severity
from marketloop.clikit import console, emit_rows, esc, stdout
from marketloop.workspace import Workspace

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
        clikit.emit_stream(lambda sink: write(shown, sink), out)


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


def emit_diff(result: CrawlDiff, fmt: str, out: Path | None) -> None:
    """`crawl-diff --format csv|json`: every row, written as it is read, on stdout or into
    `out` (atomically)."""
    write = write_diff_csv if fmt == "csv" else write_diff_json
    clikit.emit_stream(lambda sink: write(result, sink), out)


def write_diff_csv(result: CrawlDiff, sink: TextIO) -> None:
    """One row per difference (`CrawlDiff.COLUMNS`; `clikit.write_csv`: text neutralised)."""
    clikit.write_csv(result.rows(), result.COLUMNS, sink)


def write_diff_json(result: CrawlDiff, sink: TextIO) -> None:
    """The diff as `emit_json` would lay out `{"old_crawl", "new_crawl", "issues": {...},
    "pages": {...}}`, each list streamed."""
    lists = result.lists()
    sink.write("{\n")
    for key in ("old_crawl", "new_crawl"):
        sink.write(f'  "{key}": {json.dumps(getattr(result, key), ensure_ascii=False)},\n')
    groups = {"issues": result.ISSUE_KINDS, "pages": (*result.PAGE_KINDS, "changed")}
    for n, (group, kinds) in enumerate(groups.items()):
        sink.write(f'  "{group}": {{\n')
        for m, kind in enumerate(kinds):
            rows: Iterable[Any] = chain.from_iterable(result.batches(lists[kind]))
            if kind in result.PAGE_KINDS:  # a list of URLs
                rows = (row["url"] for row in rows)
            sink.write(f'    "{kind}": ')
            clikit.write_json_list(rows, sink, depth=2)
            sink.write(",\n" if m < len(kinds) - 1 else "\n")
        sink.write("  },\n" if n < len(groups) - 1 else "  }\n")
    sink.write("}\n")


def diff_sections(result: CrawlDiff, rows: int) -> list[dict[str, Any]]:
    """Each list of the diff with its count and its first `rows` rows, in the order shown:
    new, resolved and persisting issues (`Issue`s), changed pages (`PageChange`s, counted in
    changes), added and removed pages (URLs)."""
    titles = {"new": "New issues", "resolved": "Resolved issues",
              "persisting": "Persisting issues"}  # fmt: skip
    sections: list[dict[str, Any]] = [
        {"kind": kind, "title": titles[kind], "count": result.counts[kind],
         "rows": result.issues(kind, rows)}
        for kind in result.ISSUE_KINDS
    ]  # fmt: skip
    sections.append({"kind": "changed", "title": "Changed pages", "what": "changes",
                     "count": result.counts["changes"], "rows": result.changes(rows)})  # fmt: skip
    sections += [
        {"kind": kind, "title": f"{kind.capitalize()} pages", "count": result.counts[kind],
         "rows": result.pages(kind, rows)}
        for kind in result.PAGE_KINDS
    ]  # fmt: skip
    return sections


def write_diff_html(result: CrawlDiff, path: Path) -> Path:
    """`crawl-diff --format html`: one self-contained page; each list shows its first
    `MAX_ROWS_PER_CHECK` rows (as the audit report does per check) and counts the rest."""
    from marketloop.audit.report import MAX_ROWS_PER_CHECK
    from marketloop.report import render, write_report

    title = "Crawl comparison"
    page = render("marketloop.audit", "crawl_diff.html", title=title, diff=result,
                  sections=diff_sections(result, MAX_ROWS_PER_CHECK))  # fmt: skip
    return write_report(path, page)


def diff_tables(result: CrawlDiff, limit: int) -> None:
    """`crawl-diff --format table`: the summary, then each non-empty list cut at `limit` rows."""
    emit_rows(result.summary(), "table", title=f"{result.old_crawl} → {result.new_crawl}")
    issue_columns = ["severity", "check", "url", "detail"]
    for section in diff_sections(result, limit):
        kind, rows = section["kind"], section["rows"]
        if kind in result.ISSUE_KINDS:
            shown, columns = [i.as_row() for i in rows], issue_columns
        elif kind == "changed":
            shown, columns = [c.__dict__ for c in rows], None
        else:
            shown, columns = [{"url": u} for u in rows], None
        _cut_table(section["title"], shown, section["count"], columns, section.get("what"))


def _cut_table(
    title: str,
    rows: list[dict[str, Any]],
    count: int,
    columns: list[str] | None = None,
    what: str | None = None,
) -> None:
    """One table of the first rows of a list of `count`, and a line counting the rows left out."""
    if not rows:
        return
    emit_rows(rows, "table", columns=columns, title=title)
    if count > len(rows):
        left = f"{count - len(rows)} more {what or title.lower()}"
        stdout.print(f"(+{left}: raise --limit, or use --format json)")
