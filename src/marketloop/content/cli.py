"""`marketloop briefs …` and `marketloop eval …` (see `evals/cli.py`).

marketloop briefs generate --clusters clusters.json --out briefs/
marketloop briefs generate --clusters "crm software" --provider openai --drafts --out briefs/
marketloop briefs generate --clusters clusters.json --provider openai --show-prompt
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    list_option,
    progress,
    state,
)
from marketloop.config import Settings, app_db_url
from marketloop.content.config import Provider
from marketloop.content.evals.cli import eval_app
from marketloop.content.folder import BriefFolder
from marketloop.content.generate import Plan, assign_slugs
from marketloop.content.inputs import brief_inputs
from marketloop.content.llm.ledger import Ledger, stored_totals
from marketloop.content.offline import BriefContext, write_brief
from marketloop.content.runs import generate_briefs, make_plan
from marketloop.content.writer import brief_request, draft_request
from marketloop.errors import ConfigError, ContentError
from marketloop.keywords.model import Cluster
from marketloop.workspace import Workspace

__all__ = ["briefs_app", "eval_app"]

briefs_app = typer.Typer(
    help="Content briefs and drafts from keyword clusters, offline or with any "
    "OpenAI-compatible LLM.\n\nExample: marketloop briefs generate --out briefs/ --drafts",
    no_args_is_help=True,
)


@briefs_app.command("generate")
def generate_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for <slug>.json and .md (required to write)."),
    ] = None,
    clusters: Annotated[
        list[str] | None,
        list_option(
            "--clusters",
            help="Clusters JSON file (`keywords cluster --format json`), or cluster names looked "
            "up in the workspace's clusters.json. Default: that file.",
        ),
    ] = None,
    provider: Annotated[
        Provider | None,
        typer.Option(help="offline (no LLM) or openai (any OpenAI-compatible endpoint)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name; default: the llm.model setting.")
    ] = None,
    prompt: Annotated[
        list[str] | None,
        list_option("--prompt", help="Prompt NAME@VERSION, e.g. brief@v1 or draft@v2."),
    ] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="Also write Markdown drafts.")] = False,
    show_prompt: Annotated[
        bool,
        typer.Option("--show-prompt", help="Print the exact requests as JSON; call nothing."),
    ] = False,
    crawl: Annotated[
        Path | None, typer.Option(help="Crawl dataset for links; default: the latest.")
    ] = None,
    serp: Annotated[
        Path | None, typer.Option(help="SERP CSV (keyword, position, url) for sources.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rewrite briefs that exist.")] = False,
    decaying: Annotated[
        bool,
        typer.Option(
            "--decaying/--no-decaying",
            help="Add an update brief for every decaying page (clicks fell, per the last "
            "`quality run`) that no cluster serves.",
        ),
    ] = True,
    fmt: FormatOption = OutputFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a brief (and with --drafts a draft) per cluster into --out.

    A re-run keeps every valid brief and draft in --out and retries the ones that failed;
    answers that failed validation are kept in --out/failed/. --out is a folder here; the
    --format summary goes to stdout.

    Example: marketloop briefs generate --clusters clusters.json --prompt brief@v2,draft@v2
    --drafts --out briefs/
    """
    settings = state(ctx).settings(workspace, llm={"provider": provider, "model": model})
    ws = Workspace(settings.workspace).ensure()
    inputs = brief_inputs(
        settings,
        ws,
        ",".join(clusters) if clusters else None,
        crawl=crawl,
        serp=serp,
        decaying=decaying,
    )
    for page in inputs.refreshed:
        console.print(
            f"update brief for decaying page {page.url!r}: "
            f"{page.clicks_before} -> {page.clicks_recent} clicks in 28 days",
            markup=False,
        )
    chosen, context, crawl_dir = inputs.clusters, inputs.context, inputs.crawl
    plan = make_plan(settings, prompt or [], drafts=drafts, force=force)
    if show_prompt:
        emit_json(_requests(settings, chosen, context, plan))
        return
    if out is None:
        raise typer.BadParameter("--out DIR is required (unless --show-prompt)", param_hint="--out")
    columns = (TextColumn("[bold]briefs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with progress(*columns) as bar:
        task = bar.add_task("briefs", total=len(chosen))
        run = generate_briefs(
            settings,
            chosen,
            context,
            plan,
            BriefFolder(out),
            crawl=str(crawl_dir) if crawl_dir else None,
            on_done=lambda _: bar.advance(task),
        )
    _report(run.entries, run.ledger, fmt, out, plan.provider)


def _requests(
    settings: Settings, clusters: list[Cluster], context: BriefContext, plan: Plan
) -> list[dict[str, Any]]:
    """What would be sent for each cluster (drafts: built from the offline brief)."""
    if plan.brief_prompt is None:
        raise ConfigError(
            "--show-prompt shows LLM requests, and the provider is offline",
            hint="add --provider openai (no call is made, no key is needed)",
        )
    shown = []
    for slug, cluster in zip(assign_slugs(clusters), clusters, strict=True):
        brief = write_brief(cluster, context, slug=slug)
        requests = [brief_request(brief, cluster, plan.brief_prompt, settings.llm).body()]
        if plan.draft_prompt is not None:
            request = draft_request(brief, plan.draft_prompt, settings.llm, settings.content)
            requests.append(request.body())
        shown.append({"slug": slug, "requests": requests})
    console.print(
        f"[dim]{len(shown)} cluster(s); nothing was sent. A draft request is built from the "
        "brief the model returns; it is shown here from the offline brief.[/]"
    )
    return shown


@briefs_app.command("ledger")
def ledger_command(
    ctx: typer.Context,
    run: Annotated[
        str | None, typer.Option(help="Only this run (gen-… or ev-…); default: every run.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The token and cost ledger of every LLM call (briefs, drafts, evals), per model.

    Example: marketloop briefs ledger --run gen-20261206-101500 --format csv -o ledger.csv
    """
    settings = state(ctx).settings(workspace)
    rows = stored_totals(open_app_db(app_db_url(settings)), run)
    for row in rows:
        row["priced"] = settings.llm.price_of(row["model"]) is not None
    emit_rows(rows, fmt, title="LLM ledger" + (f" of {run}" if run else ""), out=out)
    if not rows:
        console.print("no LLM calls recorded yet")


OFFLINE_COLUMNS = ["slug", "status", "action", "h1", "words", "internal_links", "link_from", "note"]
LLM_COLUMNS = ["slug", "status", "model", "tokens", "cost_usd", "cache_hits", "checks", "note"]


def _report(
    entries: list[dict[str, Any]], ledger: Ledger, fmt: OutputFormat, out: Path, provider: str
) -> None:
    rows = [
        {
            **e,
            "checks": f"{e['checks_passed']}/{e['checks_passed'] + len(e['checks_failed'])}"
            if e["draft"]
            else "",
            "note": e["error"]
            or "; ".join(filter(None, [e["note"], ", ".join(e["checks_failed"])])),
        }
        for e in sorted(entries, key=lambda e: e["slug"])
    ]
    columns = OFFLINE_COLUMNS if provider == "offline" else LLM_COLUMNS
    emit_rows(rows, fmt, columns=columns, title=f"Briefs in {out}")
    totals = ledger.totals()
    failed = [e for e in entries if e["status"] == "failed"]
    console.print(
        f"{len(entries) - len(failed)} ok, {len(failed)} failed · {totals['calls']} LLM calls, "
        f"{totals['cache_hits']} cache hits, "
        f"{totals['prompt_tokens'] + totals['completion_tokens']:,} tokens, "
        f"${totals['cost_usd']:.4f}"
        + (f" (price unknown: {', '.join(sorted(ledger.unpriced))})" if ledger.unpriced else "")
    )
    if failed:
        raise ContentError(
            f"{len(failed)} of {len(entries)} briefs failed (first: {failed[0]['slug']}: "
            f"{failed[0]['error']})",
            hint=f"the others are in {out}; run the same command again to retry the failed ones",
        )
