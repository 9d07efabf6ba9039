"""`marketloop worker`: the queue consumer and the scheduler, in one process (worker.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketloop.clikit import WorkspaceOption, console, state
from marketloop.runner.loopfile import load_loop


def worker_command(
    ctx: typer.Context,
    loop: Annotated[
        list[Path] | None,
        typer.Option("--loop", help="Loop file to schedule (repeatable); adds to [runner] loops."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, max=64, help="Steps run at a time.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run queued steps and fire the loops' schedules, until Ctrl-C.

    Several workers (on one machine or several, with [runner] queue = "redis://...") share one
    queue. Example: marketloop worker --loop examples/loops/weekly.yaml --threads 4
    """
    from marketloop.runner.worker import run_worker

    settings = state(ctx).settings(workspace, runner={"threads": threads})
    loops = [*settings.runner.loops, *(loop or [])]
    for path in loops:
        load_loop(path)  # refuse a bad file before starting
    console.print(f"worker: {settings.runner.threads} threads, {len(loops)} loop file(s)")
    run_worker(settings, loops, settings.runner.threads)
