"""`marketloop tune start | status | cancel` (see `start.py` for what they do)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    esc,
    out_option,
    state,
)
from marketloop.config import app_db_url
from marketloop.content.tune import jobs, start
from marketloop.content.tune.extra import require_wandb
from marketloop.content.tune.local import LocalConfig

COLUMNS = ["id", "provider", "base_model", "status", "external_id", "result_model", "created_at"]


class TuneProvider(StrEnum):
    openai = "openai"
    local = "local"


def _say(line: str) -> None:
    console.print(esc(line), soft_wrap=True, emoji=False)  # `ft:m:org:x:` is not an emoji


def start_command(
    ctx: typer.Context,
    provider: Annotated[TuneProvider, typer.Option(help="openai (hosted) or local (LoRA).")],
    base_model: Annotated[
        str, typer.Option(help="Hosted: a model id (gpt-4.1-mini-2025-04-14). Local: a folder.")
    ],
    dataset: Annotated[Path, typer.Option(help="The folder `tune dataset --out DIR` wrote.")],
    epochs: Annotated[
        int | None, typer.Option(min=1, help="Epochs (hosted default: auto).")
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(help="Local: learning rate (2e-4). Hosted: learning_rate_multiplier."),
    ] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Hosted batch size.")] = None,
    suffix: Annotated[str | None, typer.Option(help="Hosted: suffix of the model id.")] = None,
    lora_r: Annotated[int, typer.Option(min=1, help="Local: LoRA rank.")] = 8,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Local: stop after N steps.")] = None,
    out: Annotated[
        Path | None, out_option("Local: run folder; default WORKSPACE/tune/<job>.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Hosted: wait for the job to end.")
    ] = True,
    poll: Annotated[float, typer.Option(min=0, help="Hosted: seconds between polls.")] = 30.0,
    wandb: Annotated[
        str | None, typer.Option("--wandb", help="Log the curves to this W&B project.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Fine-tune a model on a dataset: hosted through the provider's API, or a local LoRA.

    Examples:

      marketloop tune start --provider openai --base-model gpt-4.1-mini-2025-04-14 --dataset data/

      marketloop tune start --provider local --base-model models/qwen2.5-0.5b --dataset tune-data/
    """
    settings = state(ctx).settings(workspace)
    engine = open_app_db(app_db_url(settings))
    if wandb:
        require_wandb()  # before the job: training costs time or money, logging would fail after
    if provider is TuneProvider.openai:
        hyper: dict[str, Any] = {
            "n_epochs": epochs or "auto",
            "batch_size": batch_size or "auto",
            "learning_rate_multiplier": learning_rate or "auto",
        }
        row = start.start_hosted(
            settings, engine, dataset, base_model, hyper, suffix=suffix, follow=follow,
            poll=poll, say=_say, wandb=wandb,
        )  # fmt: skip
    else:
        config = LocalConfig(
            base_model=base_model, dataset=str(dataset), out=str(out) if out else "",
            epochs=epochs or 1, learning_rate=learning_rate or 2e-4, lora_r=lora_r,
            max_steps=max_steps,
        )  # fmt: skip
        row = start.start_local(settings, engine, config, say=_say, wandb=wandb)
    _summary(row)


def status_command(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Argument(help="Job id (tn-… or ftjob-…); default latest.")
    ] = None,
    all_jobs: Annotated[bool, typer.Option("--all", help="List the recent jobs.")] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a job; a hosted job still running is read from the provider (new events printed).

    Example: marketloop tune status tn-20261206T101500Z-3fa2
    """
    settings = state(ctx).settings(workspace)
    engine = open_app_db(app_db_url(settings))
    if all_jobs:
        emit_rows(jobs.recent(engine), fmt, columns=COLUMNS, title="Tuning jobs", out=out)
        return
    row = jobs.get(engine, job)
    if row["provider"] == "openai" and row["external_id"] and row["status"] not in jobs.FINISHED:
        row = start.follow_hosted(settings, engine, row["id"], poll=0, say=_say, once=True)
    emit_rows([row], fmt, columns=COLUMNS, title=f"Tuning job {row['id']}", out=out)


def cancel_command(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Argument(help="Job id; default the latest.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Cancel a hosted fine-tuning job.

    Example: marketloop tune cancel tn-20261206T101500Z-3fa2
    """
    settings = state(ctx).settings(workspace)
    row = start.cancel(settings, open_app_db(app_db_url(settings)), job)
    console.print(f"job {esc(row['id'])}: {esc(row['status'])}", emoji=False)


def _summary(row: dict[str, Any]) -> None:
    curve = (row.get("metrics") or {}).get("curves") or []
    last = {k: v for p in curve for k, v in p.items() if k in ("train_loss", "valid_loss")}
    losses = ", ".join(f"{k} {v}" for k, v in last.items())
    console.print(
        f"job [bold]{esc(row['id'])}[/]: {esc(row['status'])}"
        + (f" → {esc(str(row['result_model']))}" if row["result_model"] else "")
        + (f" ({losses})" if losses else ""),
        soft_wrap=True,
        emoji=False,
    )


def register_job_commands(app: typer.Typer) -> None:
    app.command("start")(start_command)
    app.command("status")(status_command)
    app.command("cancel")(cancel_command)
