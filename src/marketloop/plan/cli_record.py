"""`plan slip|block|unblock|done|rebaseline|retract|ack`: the commands that record one event.

Each appends one event effective at `--at`, then reports what it changed compared with the
moment just before it: as a short report for people, or with `--format json` as the recorded
event and its consequences (forecasts moved, pushes and pulls in force, new escalations, and
whether a re-baseline is due).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from marketloop.clikit import (
    OutOption,
    WorkspaceOption,
    console,
    emit_json,
    esc,
    format_option,
    plain,
)
from marketloop.plan.cli import AtOption, PlanOption, ReasonOption, app, open_tracker
from marketloop.plan.escalation import SHORT_ID
from marketloop.plan.events import MAX_SLIP_DAYS, Event
from marketloop.plan.tracker import Tracker
from marketloop.plan.views import recorded_dict


class RecordFormat(StrEnum):
    table = "table"
    json = "json"


RecordFormatOption = Annotated[
    RecordFormat,
    format_option(
        "table: a short report for people; json: the recorded event and its consequences "
        "(forecasts moved, pushes and pulls, new escalations, whether a re-baseline is due)."
    ),
]


def _record(
    ctx: typer.Context,
    where: tuple[Path | None, Path | None, str | None],
    fmt: RecordFormat,
    record: Callable[[Tracker, datetime], Event],
    message: Callable[[Event], str],
    out: Path | None = None,
) -> None:
    """Record one event (`record(tracker, at)`) in the plan at `where` (plan, workspace, --at),
    then report what it changed compared with just before it; --out writes the JSON report
    (the one file format of a change)."""
    tracker, when = open_tracker(ctx, *where)
    before = tracker.view(when)
    event = record(tracker, when)
    after = tracker.view(when)
    if fmt is RecordFormat.json or out is not None:
        emit_json(recorded_dict(event, before, after), out)
        return
    console.print(plain(f"{message(event)} (event {event.seq})"))
    for e in after.pending:
        console.print(
            f"[yellow]escalate[/] {esc(e.task)} → {esc(e.to)} via {e.channel}: {esc(e.reason)}"
        )
    if after.rebaseline.due:
        console.print(
            f"[bold]{esc(after.rebaseline.explanation)}[/]: run `marketloop plan rebaseline`"
        )


@app.command("slip")
def slip(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id, e.g. day10.")],
    days: Annotated[
        int,
        typer.Option("--days", "-d", min=1, max=MAX_SLIP_DAYS, help="Business days it slips."),
    ],
    reason: ReasonOption,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Record that TASK finishes N business days later; everything downstream is re-computed
    (push to a buffer, pull backlog, escalate) and the consequences are printed.

    Example: marketloop plan slip day3 --days 2 --reason "vendor data late"
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.slip(task, days, reason, when),
        lambda _: f"recorded: {task} slips {days} business day(s)",
        out=out,
    )


@app.command("block")
def block(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id (a buffer day too).")],
    reason: ReasonOption,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Record that TASK is blocked. A weekend blocker climbs the escalation ladder over time.

    Example: marketloop plan block day6 --reason "waiting for GA4 access"
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.block(task, reason, when),
        lambda _: f"recorded: {task} is blocked",
        out=out,
    )


@app.command("unblock")
def unblock(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="How it was resolved.")] = "",
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Record that TASK's blocker is resolved.

    Example: marketloop plan unblock day6 --reason "access granted"
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.unblock(task, reason, when),
        lambda _: f"recorded: {task} is unblocked",
        out=out,
    )


@app.command("done")
def done(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id or backlog item id.")],
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Record that TASK (or a backlog item) is finished.

    Example: marketloop plan done day3 --format json
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.done(task, when),
        lambda _: f"recorded: {task} is done",
        out=out,
    )


@app.command("rebaseline")
def rebaseline(
    ctx: typer.Context,
    reason: ReasonOption,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Record a new baseline from today's forecasts (the old one is kept). Refused unless two
    or more critical-path items slip at once: otherwise push/pull absorbs the slip.

    Example: marketloop plan rebaseline --reason "two critical tasks slipped"
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.rebaseline(reason, when),
        _baseline_message,
        out=out,
    )


@app.command("retract")
def retract(
    ctx: typer.Context,
    event_id: Annotated[int, typer.Argument(help="Id of the event to take back (`plan log`).")],
    reason: ReasonOption,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Take back a mistaken event: the log keeps both, and from --at on the event counts as
    never recorded. The memo lists every retraction with its reason.

    Example: marketloop plan retract 12 --reason "slip typed as 99 days, meant 2"
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: tracker.retract(event_id, reason, when),
        lambda e: f"recorded: event {event_id} ({e.data['kind']} {e.task or ''}) is retracted",
        out=out,
    )


@app.command("ack")
def ack(
    ctx: typer.Context,
    escalation_id: Annotated[
        str,
        typer.Argument(
            help="Id of an escalation in force (`plan escalations`; 4+ characters of it, or "
            "its PagerDuty dedup key ml-...)."
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who acknowledges (default: your user name).", show_default=False
        ),
    ] = None,
    plan: PlanOption = None,
    workspace: WorkspaceOption = None,
    at: AtOption = None,
    fmt: RecordFormatOption = RecordFormat.table,
    out: OutOption = None,
) -> None:
    """Acknowledge an escalation: it is not reminded any more, and with the channels notifier
    its PagerDuty incident is acknowledged now (same dedup key). It still climbs the ladder
    while its condition lasts, and its page is resolved when the condition clears.

    Example: marketloop plan ack 3f9a2c1e --by sam.jackson
    """
    _record(
        ctx,
        (plan, workspace, at),
        fmt,
        lambda tracker, when: _acknowledge(ctx, workspace, tracker, escalation_id, by, when),
        lambda e: (
            f"recorded: escalation {e.data['id'][:SHORT_ID]} ({e.task}, level {e.data['level']}) "
            f"acknowledged by {e.data['by']}"
        ),
        out=out,
    )


def _acknowledge(
    ctx: typer.Context, workspace: Path | None, tracker: Tracker, ref: str, by: str | None,
    when: datetime,
) -> Event:  # fmt: skip
    """Record the acknowledgement; with the channels notifier, tell PagerDuty at once (a
    failure to tell it is the command's error, the acknowledgement staying recorded)."""
    from marketloop.clikit import state
    from marketloop.plan.notify import tell_pagerduty

    event = tracker.acknowledge(ref, by, when)
    told = tell_pagerduty(state(ctx).settings(workspace), tracker.view(when), ref, when)
    if told is not None:
        for dedup in told.acknowledged:
            console.print(plain(f"PagerDuty incident {dedup} acknowledged"))
        if told.error is not None:
            raise told.error
    return event


def _baseline_message(event: Event) -> str:
    moved = {k: v for k, v in event.data["variance"].items() if v}
    return f"recorded baseline v{event.data['version']}; variance (business days): {moved}"
