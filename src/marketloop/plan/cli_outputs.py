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
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    esc,
    rows_to_csv,
    state,
    to_jsonable,
)
from marketloop.plan.cli import AtOption, FormatOption, PlanOption, app, open_tracker, open_view
from marketloop.report import write_report
from marketloop.workspace import Workspace


class ExportFormat(StrEnum):
    ics = "ics"
    csv = "csv"
    json = "json"


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
    fmt: Annotated[
        MemoFormat,
        typer.Option("--format", "-f", help="What goes to stdout: markdown, html or json."),
    ] = MemoFormat.markdown,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Where to write the HTML memo. Default: WORKSPACE/reports/."),
    ] = None,
) -> None:
    """The weekly status memo: progress, variance against the baseline, escalations, decisions
    needed, next week. Markdown on stdout (paste it in Slack or Notion; or the HTML, or JSON)
    and an HTML report with a Gantt chart in the workspace."""
    from marketloop.plan.memo import build_memo, html, markdown

    view = open_view(ctx, plan, workspace, at)
    memo = build_memo(view)
    root = Workspace(state(ctx).settings(workspace).workspace)
    path = html_out or root.reports_dir / f"plan-memo-{view.plan.id}-{memo.today}.html"
    page = html(memo, view)
    write_report(path, page)
    if fmt is MemoFormat.json:
        emit_json({**memo.__dict__, "html": path})
    elif fmt is MemoFormat.html:
        sys.stdout.write(page)
    else:
        sys.stdout.write(markdown(memo))
    console.print(f"HTML memo: {esc(path)}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="ics (RFC 5545 calendar), csv (one row per occurrence) or json (the same rows "
            "as a list).",
        ),
    ] = ExportFormat.ics,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """The calendar: stand-ups, weekend check-ins and triage windows as recurring events in the
    plan's time zone, and every task's due date (its forecast) as an all-day event."""
    from marketloop.plan.export import entry_rows, ics

    view = open_view(ctx, plan, workspace, at)
    if fmt is ExportFormat.ics:
        data = ics(view)
    elif fmt is ExportFormat.json:
        data = (json.dumps(to_jsonable(entry_rows(view)), indent=2) + "\n").encode()
    else:
        rows = entry_rows(view)
        data = rows_to_csv(rows, list(rows[0]) if rows else []).encode()
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
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Hours available. Default: one day (calendar.day_hours)."),
    ] = None,
) -> None:
    """When capacity is short: the open tasks due by now in fallback-priority order (data
    integrity, automation stability, stakeholder alignment, then the rest), what fits the
    hours available and what is deferred."""
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
    )


@app.command("log")
def log_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
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
    emit_rows(rows, fmt, columns=("id", "kind", "task", "at", "detail", "retracted"))


def _detail(data: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in data.items() if k not in {"dates", "variance", "forecasts"}}
    return ", ".join(f"{k}={v}" for k, v in shown.items())
