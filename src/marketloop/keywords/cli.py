"""`marketloop keywords ...`: cluster a keyword list, and find content gaps and cannibalisation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    esc,
    output_format,
    progress,
    state,
)
from marketloop.config import Settings
from marketloop.errors import ConfigError
from marketloop.keywords.report import write_html
from marketloop.keywords.run import (
    GAP_COLUMNS,
    TABLE_COLUMNS,
    KeywordRun,
    cluster_rows,
    gap_rows,
    intent_requests,
    run_clustering,
)
from marketloop.quality.outcomes import read_outcomes

if TYPE_CHECKING:
    from marketloop.keywords.pipeline import OnProgress

app = typer.Typer(
    name="keywords",
    help="Plan content: cluster keywords (SERP overlap, lexical, semantic), score intent and "
    "opportunity, map clusters to the site, find gaps and cannibalisation.\n\n"
    "Example: marketloop keywords cluster keywords.csv --format html --out clusters.html",
    no_args_is_help=True,
)
PROGRESS_FROM = 2_000  # keywords; smaller runs finish before a bar is worth drawing


class ModeChoice(StrEnum):
    auto = "auto"
    serp = "serp"
    lexical = "lexical"
    semantic = "semantic"


class IntentChoice(StrEnum):
    rules = "rules"
    llm = "llm"


class StrictnessChoice(StrEnum):
    soft = "soft"
    moderate = "moderate"
    hard = "hard"


FileArg = Annotated[
    Path,
    typer.Argument(
        help="Keyword CSV/TSV: a `keyword` column (or Keyword, Query...) and optional "
        "volume, difficulty, cpc, position, url (Semrush/Ahrefs/Keyword Planner headers work).",
        exists=True,
        dir_okay=False,
    ),
]
ModeOpt = Annotated[
    ModeChoice | None,
    typer.Option(
        "--mode",
        help="serp: shared top-N result URLs (needs --serp); lexical: character n-grams, "
        "offline; semantic: sentence embeddings (extra `semantic`). Default auto: serp when "
        "--serp is given, else lexical.",
        show_default=False,
    ),
]
SerpOpt = Annotated[
    Path | None,
    typer.Option(
        "--serp",
        help="SERP snapshots: CSV with keyword, position, url (one row per result).",
        exists=True,
        dir_okay=False,
    ),
]
MinSharedOpt = Annotated[
    int | None,
    typer.Option(
        "--min-shared", help="serp: shared URLs that relate two keywords (default 3).", min=1
    ),
]
StrictnessOpt = Annotated[
    StrictnessChoice | None,
    typer.Option(
        "--strictness",
        help="serp: soft = against the cluster's top keyword (default); moderate = connected "
        "components; hard = every pair shares.",
        show_default=False,
    ),
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        help="lexical/semantic: cosine similarity that joins a keyword to a cluster "
        "(default 0.65 lexical, 0.75 semantic).",
        min=0.01,
        max=1.0,
    ),
]
IntentOpt = Annotated[
    IntentChoice | None,
    typer.Option(
        "--intent",
        help="rules: modifier rules and SERP hints, offline (default); llm: a model labels "
        "each keyword, unsure labels combined with the rules (needs MARKETLOOP_LLM_API_KEY or "
        "MARKETLOOP_LLM_BASE_URL).",
        show_default=False,
    ),
]
CrawlOpt = Annotated[
    Path | None,
    typer.Option(
        "--crawl",
        help="Crawl dataset folder to match titles/H1s against (default: the workspace's latest).",
        file_okay=False,
    ),
]


@app.command("cluster")
def cluster_command(
    ctx: typer.Context,
    file: FileArg,
    *,
    mode: ModeOpt = None,
    serp: SerpOpt = None,
    min_shared: MinSharedOpt = None,
    strictness: StrictnessOpt = None,
    threshold: ThresholdOpt = None,
    intent: IntentOpt = None,
    show_prompt: Annotated[
        bool,
        typer.Option(
            "--show-prompt",
            help="With --intent llm: print the exact requests as JSON; call nothing, cluster "
            "nothing.",
        ),
    ] = False,
    crawl: CrawlOpt = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Cluster keywords; name each cluster, score intent and opportunity, map it to the site.

    --format html writes a report with a chart (to --out, or
    WORKSPACE/reports/keywords-clusters.html).

    Example: marketloop keywords cluster keywords.csv --serp serps.csv --format json --out
    clusters.json
    """
    overrides = _overrides(mode, min_shared, strictness, threshold, intent)
    settings = state(ctx).settings(workspace, keywords=overrides)
    if show_prompt:
        _show_prompt(settings, file, serp)
        return
    with _progress("clustering") as on_progress:
        run = run_clustering(settings, file, serp_file=serp, crawl=crawl, on_progress=on_progress)
    _notes(run)
    fmt = output_format(fmt, out)
    if fmt is OutputFormat.html:
        _html(run, out, settings, "clusters")
    elif fmt is OutputFormat.json:
        emit_json([c.model_dump() for c in run.clusters], out)
    else:
        rows = cluster_rows(run.clusters)
        emit_rows(rows, fmt, columns=_columns(fmt), title="Keyword clusters", out=out)


@app.command("gaps")
def gaps_command(
    ctx: typer.Context,
    *,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Keyword CSV (default: the Search Console queries in the warehouse).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    crawl: CrawlOpt = None,
    serp: SerpOpt = None,
    mode: ModeOpt = None,
    intent: IntentOpt = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list the clusters that are covered.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Content gaps (clusters no page serves) and cannibalisation (pages splitting a cluster).

    Uses Search Console impressions per page from the warehouse when present, else titles and
    H1s of the crawl. --format html writes a report with a chart (to --out, or
    WORKSPACE/reports/keywords-gaps.html).

    Example: marketloop keywords gaps keywords.csv --crawl .marketloop/crawls/X -f html
    """
    settings = state(ctx).settings(workspace, keywords=_overrides(mode, None, None, None, intent))
    with _progress("clustering") as on_progress:
        run = run_clustering(
            settings, file, serp_file=serp, crawl=crawl, need_site=True, on_progress=on_progress
        )
    _notes(run)
    rows = gap_rows(run, show_all=show_all)
    counts = {
        s: sum(1 for c in run.clusters if c.status == s) for s in ("covered", "gap", "cannibalised")
    }
    console.print(
        f"{len(run.clusters)} clusters: {counts['covered']} covered, {counts['gap']} gaps, "
        f"{counts['cannibalised']} cannibalised"
    )
    fmt = output_format(fmt, out)
    if fmt is OutputFormat.html:
        _html(run, out, settings, "gaps")
    else:
        emit_rows(rows, fmt, columns=GAP_COLUMNS, title="Content gaps and cannibalisation", out=out)


def _overrides(
    mode: ModeChoice | None,
    min_shared: int | None,
    strictness: StrictnessChoice | None,
    threshold: float | None,
    intent: IntentChoice | None,
) -> dict[str, Any]:
    return {
        "mode": mode.value if mode else None,
        "min_shared": min_shared,
        "strictness": strictness.value if strictness else None,
        "threshold": threshold,
        "intent": intent.value if intent else None,
    }


def _show_prompt(settings: Settings, file: Path, serp: Path | None) -> None:
    if settings.keywords.intent != "llm":
        raise ConfigError(
            "--show-prompt shows the requests of --intent llm, and intent is rules",
            hint="add --intent llm (no call is made, no key is needed)",
        )
    shown = intent_requests(settings, file, serp)
    console.print(
        f"[dim]{len(shown)} request(s) of up to {settings.keywords.intent_batch_size} keywords; "
        "nothing was sent.[/]"
    )
    emit_json(shown)


def _columns(fmt: OutputFormat) -> list[str]:
    return [*TABLE_COLUMNS, "keywords"] if fmt is OutputFormat.csv else TABLE_COLUMNS


def _html(run: KeywordRun, out: Path | None, settings: Settings, name: str) -> None:
    from marketloop.workspace import Workspace

    path = out or Workspace(settings.workspace).ensure().reports_dir / f"keywords-{name}.html"
    write_html(run.clusters, run.coverage, path, read_outcomes(settings))
    console.print(f"report: {esc(path)}")


def _notes(run: KeywordRun) -> None:
    for note in run.notes:
        console.print(f"[dim]{esc(note)}[/]")


@contextmanager
def _progress(label: str) -> Iterator[OnProgress]:
    """A progress bar on stderr that appears once a run is large enough to need one."""
    with progress(f"[bold]{label}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if total < PROGRESS_FROM:
                return
            if task is None:
                task = bar.add_task(label, total=total)
            bar.update(task, completed=done, total=total)

        yield update
