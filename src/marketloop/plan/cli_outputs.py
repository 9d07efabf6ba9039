"""`plan memo`, `plan export` and `plan triage`: what the plan produces for people and tools."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    emit_text,
    esc,
    format_option,
    out_option,
    rows_to_csv,
    rows_to_html,
    state,
    to_jsonable,
)
from marketloop.plan.cli import AtOption, PlanOption, app, open_tracker, open_view
from marketloop.report import write_report
from marketloop.workspace import Workspace


class ExportFormat(StrEnum):
    ics = "ics"
    csv = "csv"
    json = "json"
    html = "html"


class MemoFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    json = "json"


@app.command("memo")
def memo_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: Annotated[MemoFormat, format_option("markdown, html or json.")] = MemoFormat.markdown,
    out: Annotated[
        Path | None,
        out_option(
            "Write the memo to this file instead of stdout. The HTML memo is written to "
            "WORKSPACE/reports/ too, unless --format html --out FILE puts it elsewhere."
        ),
    ] = None,
) -> None:
    """The weekly status memo: progress, variance against the baseline, escalations, decisions
    needed, next week. Markdown on stdout (paste it in Slack or Notion; or the HTML, or JSON)
    and an HTML report with a Gantt chart in the workspace.

    Example: marketloop plan memo --format html --out memo.html
    """
    from marketloop.plan.memo import build_memo, html, markdown

    view = open_view(ctx, plan, workspace, at)
    memo = build_memo(view)
    root = Workspace(state(ctx).settings(workspace).workspace)
    html_file = out if fmt is MemoFormat.html and out is not None else None
    path = html_file or root.reports_dir / f"plan-memo-{view.plan.id}-{memo.today}.html"
    page = html(memo, view)
    write_report(path, page)
    if fmt is MemoFormat.json:
        text = json.dumps(to_jsonable({**memo.__dict__, "html": path}), indent=2) + "\n"
        emit_text(text, out)
    elif fmt is MemoFormat.markdown:
        emit_text(markdown(memo), out)
    elif html_file is None:
        sys.stdout.write(page)
    console.print(f"HTML memo: {esc(path)}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: Annotated[
        ExportFormat,
        format_option(
            "ics (RFC 5545 calendar), csv (one row per occurrence), json (the same rows as a "
            "list) or html (them as a page)."
        ),
    ] = ExportFormat.ics,
    out: OutOption = None,
) -> None:
    """The calendar: stand-ups, weekend check-ins and triage windows as recurring events in the
    plan's time zone, and every task's due date (its forecast) as an all-day event.

    Example: marketloop plan export --out sprint.ics   (then import it into the calendar)
    """
    from marketloop.plan.export import entry_rows, ics

    view = open_view(ctx, plan, workspace, at)
    if fmt is ExportFormat.ics:
        data = ics(view)
    else:
        rows = entry_rows(view)
        columns = list(rows[0]) if rows else []
        text = {
            ExportFormat.json: lambda: json.dumps(to_jsonable(rows), indent=2) + "\n",
            ExportFormat.csv: lambda: rows_to_csv(rows, columns),
            ExportFormat.html: lambda: rows_to_html(rows, columns, f"{view.plan.name}: calendar"),
        }[fmt]()
        data = text.encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        console.print(f"wrote {esc(out)}")


@app.command("triage")
def triage_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Hours available. Default: one day (calendar.day_hours)."),
    ] = None,
) -> None:
    """When capacity is short: the open tasks due by now in fallback-priority order (data
    integrity, automation stability, stakeholder alignment, then the rest), what fits the
    hours available and what is deferred.

    Example: marketloop plan triage --capacity 3.5
    """
    from marketloop.plan.fallback import priority_class, triage

    view = open_view(ctx, plan, workspace, at)
    today = view.plan.sprint.local_date(view.at)
    due = [
        f.task
        for f in view.schedule.forecasts.values()
        if f.status != "done" and f.baseline <= today
    ]
    result = triage(view.plan, due, capacity or view.plan.calendar.day_hours)
    rows = [
        {
            "task": task_id,
            "class": priority_class(view.plan, task_id)[1],
            "effort": view.plan.by_id[task_id].effort,
            "decision": "work on" if task_id in result.focus else "defer",
            "owner": view.plan.owner_label(view.plan.by_id[task_id]),
        }
        for task_id in (*result.focus, *result.deferred)
    ]
    emit_rows(
        rows,
        fmt,
        columns=("task", "class", "effort", "decision", "owner"),
        title=f"capacity {result.capacity:g} h",
        out=out,
    )


@app.command("log")
def log_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """The event log as recorded, oldest first, with the id `plan retract` takes.

    Example: marketloop plan log --format json
    """
    tracker, _ = open_tracker(ctx, plan, workspace, None)
    events = tracker.log.events()
    retracted = {e.data.get("event") for e in events if e.kind == "retract"}
    rows = [
        {"id": e.seq, "kind": e.kind, "task": e.task, "at": e.at,
         "detail": _detail(e.data), "retracted": e.seq in retracted}
        for e in events
    ]  # fmt: skip
    emit_rows(rows, fmt, columns=("id", "kind", "task", "at", "detail", "retracted"), out=out)


def _detail(data: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in data.items() if k not in {"dates", "variance", "forecasts"}}
    return ", ".join(f"{k}={v}" for k, v in shown.items())
