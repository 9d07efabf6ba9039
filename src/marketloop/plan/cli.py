"""`marketloop plan …`: the delivery plan from the command line.

Every command reads the plan file (`--plan`, else `[plan] file`, else ./plan.yaml) and the
plan's event log in the workspace's app database, and evaluates the rules at `--at` (default:
now). Commands that record (slip, block, unblock, done, rebaseline) append one event effective
at `--at`; nothing is ever changed or removed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketloop import config
from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    esc,
    plain,
    report_format,
    state,
    stdout,
)
from marketloop.plan.bounds import parse_moment
from marketloop.plan.loader import load_plan
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker, View
from marketloop.plan.views import (
    TASK_COLUMNS,
    escalation_rows,
    status_dict,
    task_rows,
)
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="The delivery plan as software: schedule, slips, buffers, escalations, memos.\n\n"
    "Example: marketloop plan status --plan examples/plans/ai-marketing-sprint.yaml",
    no_args_is_help=True,
)

PlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        "-p",
        help="Plan file (YAML). Default: \\[plan] file in settings, else ./plan.yaml.",
        show_default=False,
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Evaluate the rules at this moment, e.g. 2026-12-14 or 2026-12-14T16:30 (read in "
        "the plan's time zone unless it carries an offset). Recording commands date the change "
        "at this moment. Default: now.",
        show_default=False,
    ),
]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why: kept in the event log.")]


def open_tracker(
    ctx: typer.Context, plan_file: Path | None, workspace: Path | None, at: str | None
) -> tuple[Tracker, datetime]:
    """The plan with its event log, and the moment `--at` names (in the plan's time zone)."""
    settings = state(ctx).settings(workspace, plan={"file": plan_file})
    plan = load_plan(settings.plan.file or Path("plan.yaml"))
    Workspace(settings.workspace).ensure()
    tracker = Tracker(plan, EventLog(open_app_db(config.app_db_url(settings)), plan.id))
    return tracker, moment(at, tracker)


def open_view(
    ctx: typer.Context, plan_file: Path | None, workspace: Path | None, at: str | None
) -> View:
    """What the plan looks like at `--at`: the read-only commands start here."""
    tracker, when = open_tracker(ctx, plan_file, workspace, at)
    return tracker.view(when)


def moment(text: str | None, tracker: Tracker) -> datetime:
    return parse_moment(text, tracker.plan)


@app.command("show")
def show(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """The schedule: every day's task with baseline and forecast dates, slack and the critical
    path, then a Gantt chart (weekends and buffer days shaded).

    Example: marketloop plan show --plan plan.yaml --at 2026-12-14 -f csv -o schedule.csv
    """
    fmt = report_format(fmt, out)
    view = open_view(ctx, plan, workspace, at)
    rows = task_rows(view)
    title = f"{view.plan.id} · {view.plan.name}"
    emit_rows(rows, fmt, columns=TASK_COLUMNS, title=title, out=out)
    if fmt is OutputFormat.table:
        from marketloop.plan.gantt import gantt

        stdout.print(gantt(view))
        stdout.print(plain("critical path: " + " → ".join(view.schedule.critical_path)))


@app.command("status")
def status(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Where the sprint stands: progress, open tasks, buffer days and their swap rule, pulled
    backlog items, whether re-baselining is due, and escalations. csv and html list the open
    tasks; json has everything.

    Example: marketloop plan status --format json
    """
    fmt = report_format(fmt, out)
    data = status_dict(open_view(ctx, plan, workspace, at))
    if fmt is OutputFormat.json:
        emit_json(data, out)
        return
    if fmt is not OutputFormat.table:
        emit_rows(data["tasks"], fmt, columns=TASK_COLUMNS, title="open tasks", out=out)
        return
    stdout.print(
        f"[bold]{esc(data['plan'])}[/] {esc(data['name'])} · day {data['sprint_day']} "
        f"({data['phase'] or 'outside the sprint'}) · {data['done']}/{data['total']} done · "
        f"baseline v{data['baseline_version']} · ends {data['end']['forecast']} "
        f"(baseline {data['end']['baseline']})"
    )
    emit_rows(data["tasks"], fmt, columns=TASK_COLUMNS, title="open tasks")
    emit_rows(data["buffers"], fmt, columns=("task", "date", "mode", "note"), title="buffer days")
    if data["pulls"]:
        emit_rows(data["pulls"], fmt, title="backlog pulled in")
    stdout.print(plain(data["rebaseline"]["explanation"]))
    stdout.print(f"{len(data['escalations'])} escalation(s): see `marketloop plan escalations`")


@app.command("escalations")
def escalations_command(
    ctx: typer.Context,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    notify: Annotated[
        bool,
        typer.Option("--notify", help="Send the ones not sent yet through the \\[plan] notifier."),
    ] = False,
) -> None:
    """What must be escalated now: to whom, through which channel, and why.

    Example: marketloop plan escalations --at 2026-12-14T16:30 --notify
    """
    tracker, when = open_tracker(ctx, plan, workspace, at)
    view = tracker.view(when)
    emit_rows(
        escalation_rows(view),
        fmt,
        columns=("id", "task", "level", "to", "person", "channel", "reason", "acknowledged_by"),
        title="escalations",
        out=out,
    )
    if notify:
        _notify(ctx, tracker, view, workspace, when)


def _notify(
    ctx: typer.Context, tracker: Tracker, view: View, workspace: Path | None, when: datetime
) -> None:
    from marketloop.plan.notify import notify

    done = notify(state(ctx).settings(workspace), tracker, view, when, console)
    sent, name = done.sent, done.notifier
    skipped = len(view.escalations) - len(sent)
    console.print(plain(f"sent {len(sent)} escalation(s) via {name}; {skipped} already sent"))
    if done.reminded or done.acknowledged or done.resolved:
        counts = f"{done.reminded} reminder(s) sent, {done.acknowledged} page(s) acknowledged, "
        console.print(plain(counts + f"{done.resolved} page(s) resolved"))


def plan_group() -> typer.Typer:
    """The `plan` group with every command (slip, block, unblock, done and rebaseline live in
    cli_record; memo, export and triage in cli_outputs)."""
    from marketloop.plan import cli_record, cli_outputs  # noqa: F401, I001  (they add commands)

    return app
