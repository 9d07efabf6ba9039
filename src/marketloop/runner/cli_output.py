"""How `marketloop loop ...` prints a run: a header line and a table of steps, or JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.markup import escape

from marketloop.clikit import OutputFormat, console, emit_json, emit_rows, output_format
from marketloop.runner.service import RunView, StepView

STEP_COLUMNS = ("name", "action", "status", "attempts", "started_at", "finished_at", "detail")


def show(run: RunView, fmt: OutputFormat, out: Path | None = None) -> None:
    if output_format(fmt, out) is OutputFormat.json:
        emit_json(run.model_dump(mode="json"), out)
        return
    console.print(
        f"[bold]{escape(run.loop)}[/] run {run.run_id}: [bold]{run.status}[/]"
        + (f" ({escape(run.reason)})" if run.reason else "")
    )
    emit_rows([step_row(s) for s in run.steps], fmt, columns=STEP_COLUMNS, out=out)


def step_row(step: StepView) -> dict[str, object]:
    detail = step.error or step.summary or ""
    if step.gate:
        detail = f"gate {step.gate.get('result')}: {step.gate.get('reason')}"
    return {
        "name": step.name,
        "action": step.action,
        "status": step.status,
        "attempts": step.attempts,
        "started_at": step.started_at.isoformat(timespec="seconds") if step.started_at else "",
        "finished_at": step.finished_at.isoformat(timespec="seconds") if step.finished_at else "",
        "detail": detail,
        "outputs": step.outputs,
    }


def progress(fmt: OutputFormat) -> Callable[[RunView], None]:
    seen: dict[str, str] = {}

    def show(run: RunView) -> None:
        for step in run.steps:
            if seen.get(step.name) != step.status:
                seen[step.name] = step.status
                console.print(f"  {escape(step.name)}: {step.status}")

    return show


def exit_for(run: RunView, finished: bool) -> None:
    if finished and run.status in ("failed", "cancelled"):
        raise typer.Exit(1)
