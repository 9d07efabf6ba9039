"""`marketloop tune …`: training sets from approved briefs, fine-tuning jobs (hosted or local).

marketloop tune review crm-software --approve --by ada
marketloop tune dataset --briefs briefs/ --out tune-data/ --since 2026-11-01
marketloop tune dataset --out tune-data/ --source published --source evals
marketloop tune start --provider openai --base-model gpt-4.1-mini-2025-04-14 --dataset tune-data/
marketloop tune start --provider local --base-model models/qwen --dataset tune-data/
marketloop tune status
marketloop tune serve --job tn-20261206T101500Z-3fa2 --name briefs-lora
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from aiohttp import web

from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FORMAT_HELP,
    OutputFormat,
    WorkspaceOption,
    choice_list,
    console,
    emit_rows,
    esc,
    format_option,
    list_option,
    out_option,
    state,
)
from marketloop.config import app_db_url
from marketloop.content.tune import jobs, reviews
from marketloop.content.tune.build import DatasetOptions, make_dataset
from marketloop.content.tune.jobs_cli import register_job_commands
from marketloop.content.tune.serve import LocalModel, serve_app
from marketloop.errors import UsageError


class Source(StrEnum):
    published = "published"
    evals = "evals"


tune_app = typer.Typer(
    help="Fine-tune models on the briefs editors approved: datasets, hosted and local jobs.\n\n"
    "Example: marketloop tune dataset --out tune-data/",
    no_args_is_help=True,
)


@tune_app.command("review")
def review_command(
    ctx: typer.Context,
    slugs: Annotated[list[str], typer.Argument(help="Brief slugs (the <slug>.json names).")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The decision.")] = True,
    by: Annotated[str | None, typer.Option("--by", help="Who decided.")] = None,
    note: Annotated[str | None, typer.Option(help="Why (kept with the decision).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record an editor's decision on briefs; `tune dataset` trains only on approved ones.

    Example: marketloop tune review crm-software email-automation --approve --by ada
    """
    settings = state(ctx).settings(workspace)
    engine = open_app_db(app_db_url(settings))
    decision = "approved" if approve else "rejected"
    reviews.record(engine, slugs, decision, reviewer=by, note=note)
    console.print(f"{decision}: {esc(', '.join(slugs))}", emoji=False, soft_wrap=True)


@tune_app.command("dataset")
def dataset_command(
    ctx: typer.Context,
    out: Annotated[Path, out_option("Folder for the JSONL files (the cost table goes to stdout).")],
    briefs: Annotated[
        Path, typer.Option(help="The folder `briefs generate --out DIR` wrote.")
    ] = Path("briefs"),
    since: Annotated[
        str | None, typer.Option(help="Only briefs approved on or after this date (YYYY-MM-DD).")
    ] = None,
    min_eval_score: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of a draft's eval checks it must pass (0–1)."),
    ] = 1.0,
    validation: Annotated[
        float, typer.Option(min=0, max=0.9, help="Share of clusters kept for validation.")
    ] = 0.2,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs the cost estimate assumes.")] = 3,
    no_notion: Annotated[
        bool, typer.Option("--no-notion", help="Do not read published pages back for edits.")
    ] = False,
    source: Annotated[
        list[str] | None,
        list_option(
            "--source",
            metavar="<published|evals>",
            help="Where drafts come from: published = briefs editors approved; "
            "evals = eval-run outputs that passed their suite. Default: published.",
        ),
    ] = None,
    eval_run: Annotated[
        list[str] | None,
        list_option(
            "--eval-run",
            metavar="ID",
            help="Only these eval runs for --source evals. Default: every run.",
        ),
    ] = None,
    fmt: Annotated[OutputFormat, format_option("The cost table: " + FORMAT_HELP)] = (
        OutputFormat.table
    ),
    workspace: WorkspaceOption = None,
) -> None:
    """Write a chat-format training set from approved briefs whose drafts passed their evals,
    and from eval-run outputs that passed their suite (--source evals).

    Example: marketloop tune dataset --briefs briefs/ --out tune-data/ --min-eval-score 0.8
    """
    settings = state(ctx).settings(workspace)
    sources = tuple(
        dict.fromkeys(s.value for s in choice_list(Source, source) or [Source.published])
    )
    if eval_run and Source.evals not in sources:
        raise UsageError("--eval-run needs --source evals", hint="add --source evals")
    options = DatasetOptions(
        briefs=briefs,
        out=out,
        since=_date(since),
        min_eval_score=min_eval_score,
        validation_share=validation,
        epochs=epochs,
        notion=not no_notion,
        sources=sources,
        eval_runs=tuple(eval_run or ()),
    )
    manifest = make_dataset(settings, options)
    counts, tokens = manifest["counts"], manifest["tokens"]
    rows = [
        {**row, "usd": "price unknown" if row["usd"] is None else row["usd"]}
        for row in manifest["costs"]
    ]
    emit_rows(rows, fmt, title=f"Training cost estimate ({options.epochs} epochs)")
    console.print(
        f"{counts['train']} train + {counts['validation']} validation examples "
        f"({tokens['train']:,} + {tokens['validation']:,} tokens, estimated), "
        f"{counts['edited']} edited in Notion, "
        f"{manifest['by_source'].get('eval', 0)} from eval runs, {counts['left_out']} left out "
        f"(reasons in {esc(str(out / 'manifest.json'))})"
    )
    if counts["train"] == 0:
        console.print(
            "[yellow]warning:[/] no training examples: approve briefs first, or add --source evals"
        )


@tune_app.command("serve")
def serve_command(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Option(help="A local tuning job (tn-…): its base model and adapter.")
    ] = None,
    base_model: Annotated[Path | None, typer.Option(help="The base model folder.")] = None,
    adapter: Annotated[Path | None, typer.Option(help="The adapter folder (tune start).")] = None,
    name: Annotated[str, typer.Option(help="The model id clients ask for.")] = "local",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8800,
    max_new_tokens: Annotated[int, typer.Option(min=1, help="Longest answer.")] = 1024,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve a local model (base + LoRA adapter) as an OpenAI-compatible endpoint on 127.0.0.1.

    Example: marketloop tune serve --job tn-20261206T101500Z-3fa2 --name briefs-lora
    """
    settings = state(ctx).settings(workspace)
    if job is not None:
        row = jobs.get(open_app_db(app_db_url(settings)), job)
        if row["provider"] != "local" or row["status"] != "succeeded":
            raise UsageError(f"job {row['id']} is not a finished local job", hint="see tune status")
        base_model, adapter = Path(row["base_model"]), Path(row["result_model"])
    if base_model is None:
        raise UsageError("name --job or --base-model", hint="see --help")
    local = LocalModel.load(
        str(base_model), str(adapter) if adapter else None, name, max_new_tokens
    )
    console.print(f"serving {esc(name)} on http://127.0.0.1:{port}/v1 (Ctrl-C stops)", emoji=False)
    web.run_app(serve_app(local), host="127.0.0.1", port=port, print=None)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--since {value!r} is not a date", hint="use YYYY-MM-DD") from None


register_job_commands(tune_app)
