"""`marketloop loop check|run|status|history|cancel|approve|actions` and `marketloop worker`.

Flags and printing only: every command calls runner/service.py (as the API and the dashboard
do). Exit statuses: 0 done, 1 the run failed or was cancelled (`--wait`, `--inline`), 2 a bad
loop file or flag, 3 the work could not be done (an unreachable queue or database).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    output_format,
    state,
)
from marketloop.runner.cli_output import exit_for, progress, show
from marketloop.runner.loopfile import load_loop

app = typer.Typer(
    help="Loops: declared steps run on a schedule, with gates and history.\n\n"
    "Example: marketloop loop run examples/loops/demo.yaml"
)

FileArg = Annotated[Path, typer.Argument(help="Loop file (YAML), e.g. examples/loops/weekly.yaml.")]
FormatOpt = FormatOption  # the shared -f/--format (clikit); -o/--out is OutOption


@app.command("check")
def check_command(
    ctx: typer.Context,
    file: FileArg,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Validate a loop file; print its steps in order and the next scheduled times.

    Example: marketloop loop check examples/loops/weekly.yaml
    """
    from marketloop.runner.dag import order
    from marketloop.runner.schedule import next_slots

    state(ctx).settings(workspace)
    loop = load_loop(file)
    moment = datetime.now(UTC)
    rows = []
    for name in order({n: s.needs for n, s in loop.steps.items()}):
        step = loop.steps[name]
        sched = step.schedule or loop.schedule
        rows.append(
            {
                "step": name,
                "action": step.action,
                "needs": step.needs,
                "gate": step.gate if isinstance(step.gate, str) else step.gate and dict(step.gate),
                "retries": step.retries,
                "timeout": step.timeout,
                "owner": step.owner,
                "next": next_slots(sched, moment, 1)[0].isoformat() if sched else None,
            }
        )
    if output_format(fmt, out) is OutputFormat.json:
        emit_json({"loop": loop.name, "valid": True, "steps": rows}, out)
        return
    emit_rows(rows, fmt, columns=list(rows[0]), title=f"loop {escape(loop.name)}: valid", out=out)


@app.command("run")
def run_command(
    ctx: typer.Context,
    file: FileArg,
    step: Annotated[
        str | None, typer.Option("--step", help="Run only this step again (a new run of one step).")
    ] = None,
    inline: Annotated[
        bool, typer.Option("--inline", help="Run in this process, not on the queue.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the run until it ends.")] = False,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Start a run of a loop: enqueue it for `marketloop worker`, or run it here with --inline.

    Prints the run id; with --wait or --inline, the run's steps, and exits 1 if it failed.

    Examples:

      marketloop loop run examples/loops/weekly.yaml --wait

      marketloop loop run examples/loops/demo.yaml --inline --format json

      marketloop loop run examples/loops/weekly.yaml --step audit --inline
    """
    from marketloop.runner.service import start_run, wait_run

    settings = state(ctx).settings(workspace)
    loop = load_loop(file)
    run = start_run(settings, loop, step, inline=inline)
    if wait and not inline:
        console.print(f"run {run.run_id} queued; waiting for a worker")
        run = wait_run(settings, run.run_id, on_change=progress(fmt))
    show(run, fmt, out)
    exit_for(run, wait or inline)


@app.command("status")
def status_command(
    ctx: typer.Context,
    run_id: Annotated[str | None, typer.Argument(help="Run id; default: the latest run.")] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A run and its steps: status, attempts, times, outputs and gate results.

    Example: marketloop loop status run-20261207-090000-ab12cd --format json
    """
    from marketloop.runner.service import get_run, latest_run

    settings = state(ctx).settings(workspace)
    show(get_run(settings, run_id) if run_id else latest_run(settings), fmt, out)


@app.command("history")
def history_command(
    ctx: typer.Context,
    loop: Annotated[str | None, typer.Option("--loop", help="Only runs of this loop.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    after: Annotated[
        str | None, typer.Option("--starting-after", help="Page after this run id.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Past runs, newest first.

    Example: marketloop loop history --loop weekly --limit 50 --format csv
    """
    from marketloop.runner.service import list_runs

    page = list_runs(state(ctx).settings(workspace), loop, limit, after)
    if output_format(fmt, out) is OutputFormat.json:
        emit_json([run.model_dump(mode="json") for run in page.data], out)
        return
    rows = [
        {
            "run_id": r.run_id,
            "loop": r.loop,
            "status": r.status,
            "trigger": r.trigger,
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "reason": r.reason or "",
        }
        for r in page.data
    ]
    cols = ["run_id", "loop", "status", "trigger", "created_at", "reason"]
    emit_rows(rows, fmt, columns=cols, title="runs", out=out)


@app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Cancel a queued or running run (a running step stops when it can).

    Example: marketloop loop cancel run-20261207-090000-ab12cd
    """
    from marketloop.runner.service import cancel_run

    show(cancel_run(state(ctx).settings(workspace), run_id), fmt, out)


@app.command("approve")
def approve_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    step: Annotated[str, typer.Argument(help="The step waiting for approval.")],
    inline: Annotated[bool, typer.Option("--inline", help="Run the rest here.")] = False,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Approve a step held by `gate: manual`, so that it runs.

    Example: marketloop loop approve run-20261207-090000-ab12cd publish
    """
    import getpass

    from marketloop.runner.service import approve_step

    settings = state(ctx).settings(workspace)
    show(approve_step(settings, run_id, step, by=getpass.getuser(), inline=inline), fmt, out)


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run examples/loops/demo.yaml through the runner on the sample site and fakes, offline.

    What `make demo` runs; prints the run summary. Example: marketloop loop demo -w /tmp/demo
    """
    from marketloop.runner.demo import demo_environment, demo_loop_path
    from marketloop.runner.service import start_run

    settings = state(ctx).settings(workspace)
    with demo_environment(settings) as demo:
        loop = load_loop(demo_loop_path())
        console.print(f"running loop {loop.name}: {len(loop.steps)} steps, in this process")
        run = start_run(demo.settings, loop, inline=True)
        for name, url in demo.where.items():
            console.print(f"fake {name} (up while the demo ran): {escape(url)}")
    show(run, fmt, out)
    if fmt is OutputFormat.table:
        for step in run.steps:
            for label, path in step.outputs.items():
                console.print(f"{escape(step.name)} · {escape(label)}: {escape(path)}")
    exit_for(run, True)


@app.command("actions")
def actions_command(fmt: FormatOpt = OutputFormat.table, out: OutOption = None) -> None:
    """Every action a step can run, what it writes, and its gate.

    Example: marketloop loop actions --format json
    """
    from marketloop.actions import registry

    rows = [
        {
            "action": a.name,
            "summary": a.summary,
            "outputs": a.outputs,
            "warehouse": "writes" if a.writes_warehouse else ("reads" if a.reads_warehouse else ""),
            "gate": ", ".join(a.gate.model_fields) if a.gate else "",
        }
        for a in registry().values()
    ]
    emit_rows(rows, fmt, columns=list(rows[0]), title="actions", out=out)
