"""`marketloop eval run SUITE` and `marketloop eval compare [RUN …]`.

marketloop eval run examples/evals/briefs.yaml --prompt brief@v1,brief@v2 --model gpt-4o-mini
marketloop eval compare --format html --out eval.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    esc,
    list_option,
    out_option,
    output_format,
    progress,
    state,
)
from marketloop.config import app_db_url
from marketloop.content.config import Provider
from marketloop.content.evals import store
from marketloop.content.evals.compare import render_html, summarise, summary_rows
from marketloop.content.evals.decide_cli import decide_command
from marketloop.content.evals.mlflow_export import export, require_mlflow
from marketloop.content.evals.run import run_eval
from marketloop.content.evals.runner import parse_variants
from marketloop.content.evals.suite import load_suite
from marketloop.content.tune import tracking
from marketloop.content.tune.extra import require_wandb
from marketloop.content.tune.tracking import log_eval
from marketloop.report import write_report
from marketloop.workspace import Workspace

eval_app = typer.Typer(
    help="Evaluate prompt versions and models on a suite of cases, and compare them.\n\n"
    "Example: marketloop eval run examples/evals/briefs.yaml --model gpt-4o-mini",
    no_args_is_help=True,
)


@eval_app.command("run")
def run_command(
    ctx: typer.Context,
    suite: Annotated[Path, typer.Argument(help="Suite file (YAML or JSON), see docs/content.md.")],
    prompts: Annotated[
        list[str] | None,
        list_option(
            "--prompt",
            help="Prompt variants; `brief@v1+draft@v2` sets both prompts. "
            "Default: the content.brief_prompt + content.draft_prompt settings.",
        ),
    ] = None,
    models: Annotated[
        list[str] | None,
        list_option("--model", help="Models. Default: the llm.model setting."),
    ] = None,
    provider: Annotated[
        Provider | None, typer.Option(help="offline (briefs only) or openai.")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Call the model even for cached requests.")
    ] = False,
    crawl: Annotated[
        Path | None, typer.Option(help="Crawl dataset for link checks; default: suite's, latest.")
    ] = None,
    mlflow: Annotated[
        str | None, typer.Option("--mlflow", help="Also log to this MLflow tracking URI.")
    ] = None,
    wandb: Annotated[
        str | None,
        typer.Option("--wandb", help="Also log to this W&B project (offline without a key)."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run every case × prompt variant × model of SUITE; store every result in the app database.

    Example: marketloop eval run examples/evals/briefs.yaml --prompt brief@v1,brief@v2
    --model gpt-4o-mini --provider openai
    """
    llm = {"provider": provider, "cache": False if no_cache else None}
    settings = state(ctx).settings(workspace, llm=llm)
    loaded = load_suite(suite)
    variants = parse_variants(",".join(prompts or []), settings)
    chosen = models or [settings.llm.model]
    if mlflow:
        require_mlflow()  # before the run: it may cost money, the export would fail after it
    if wandb:
        require_wandb()
    total = len(loaded.cases) * len(variants) * len(chosen)
    columns = (TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with progress(*columns) as bar:
        task = bar.add_task("eval", total=total)
        run_id, summaries = run_eval(
            settings, loaded, variants, chosen, lambda _: bar.advance(task), crawl
        )
    rows = summary_rows(summaries, with_run=False)
    emit_rows(rows, fmt, title=f"Eval run {run_id}", out=out)
    console.print(
        f"run [bold]{esc(run_id)}[/]: `marketloop eval compare {esc(run_id)} --format html`"
    )
    if mlflow:
        logged = export(mlflow, loaded.suite.name, summaries)
        console.print(f"logged {len(logged)} MLflow runs to {esc(mlflow)}")
    if wandb:
        _, results = store.load_runs(open_app_db(app_db_url(settings)), [run_id])
        folder = Workspace(settings.workspace).root / "wandb"
        ids = log_eval(wandb, loaded.suite.name, summaries, results, folder)
        console.print(f"logged {len(ids)} W&B runs to project {esc(wandb)} ({tracking.mode()})")


@eval_app.command("compare")
def compare_command(
    ctx: typer.Context,
    runs: Annotated[
        list[str] | None, typer.Argument(help="Eval run ids; default: the latest run.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: Annotated[
        Path | None,
        out_option(
            "Write to this file instead of stdout. html default: WORKSPACE/reports/eval-<run>.html."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show prompt variants × models side by side: pass rates, judge, latency, tokens, cost.

    Example: marketloop eval compare ev-20261206-101500 --format html
    """
    settings = state(ctx).settings(workspace)
    found, results = store.load_runs(open_app_db(app_db_url(settings)), runs or [])
    fmt = output_format(fmt, out)
    if fmt is OutputFormat.html:
        target = out or Workspace(settings.workspace).ensure().reports_dir / (
            f"eval-{found[-1]['id']}.html"
        )
        write_report(target, render_html(found, results))
        console.print(f"wrote {esc(target)}")
        return
    rows = summary_rows(summarise(results), with_run=len(found) > 1)
    emit_rows(rows, fmt, title="Eval comparison", out=out)


eval_app.command("decide")(decide_command)
