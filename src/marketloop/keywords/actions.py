"""The keyword stage's actions: `keywords.cluster` and `keywords.gaps` (the CLI's commands).

Both read Search Console impressions from the warehouse when they are there, so a failing
quality gate upstream skips them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.keywords.config import Mode


class ClusterArgs(Args):
    file: Path = Field(description="keyword CSV (keyword, volume, ...)")
    serp: Path | None = Field(None, description="SERP snapshots CSV")
    crawl: Path | None = None
    mode: Mode | None = None
    threshold: float | None = Field(None, gt=0, le=1)
    out: Path | None = Field(None, description="default WORKSPACE/reports/clusters.json")


class GapsArgs(Args):
    file: Path | None = Field(None, description="default: Search Console queries")
    serp: Path | None = None
    crawl: Path | None = None
    mode: Mode | None = None
    out: Path | None = Field(None, description="default WORKSPACE/reports/keyword-gaps.csv")


def _settings(ctx: ActionContext, mode: str | None, threshold: float | None = None) -> Any:
    changes = {k: v for k, v in {"mode": mode, "threshold": threshold}.items() if v is not None}
    keywords = ctx.settings.keywords.model_validate(
        {**ctx.settings.keywords.model_dump(), **changes}
    )
    return ctx.settings.model_copy(update={"keywords": keywords})


def cluster(ctx: ActionContext, args: ClusterArgs) -> ActionResult:
    from marketloop.keywords.report import write_html
    from marketloop.keywords.run import run_clustering, write_clusters
    from marketloop.quality.outcomes import read_outcomes

    settings = _settings(ctx, args.mode, args.threshold)
    run = run_clustering(settings, args.file, serp_file=args.serp, crawl=args.crawl)
    out = args.out or ctx.workspace.reports_dir / "clusters.json"
    write_clusters(run.clusters, out)
    html = write_html(  # with published content's performance and the decaying pages, as the CLI
        run.clusters, run.coverage, ctx.workspace.reports_dir / "keywords.html",
        read_outcomes(settings),
    )  # fmt: skip
    return ActionResult(
        outputs={"clusters": str(out), "keyword report": str(html)},
        facts={"clusters": len(run.clusters)},
        summary=f"{len(run.clusters)} clusters",
    )


def gaps(ctx: ActionContext, args: GapsArgs) -> ActionResult:
    from marketloop.clikit import rows_to_csv
    from marketloop.keywords.run import GAP_COLUMNS, gap_rows, run_clustering

    settings = _settings(ctx, args.mode)
    run = run_clustering(settings, args.file, serp_file=args.serp, crawl=args.crawl, need_site=True)
    out = args.out or ctx.workspace.reports_dir / "keyword-gaps.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rows_to_csv(gap_rows(run, show_all=True), GAP_COLUMNS), encoding="utf-8")
    counts = {s: sum(c.status == s for c in run.clusters) for s in ("gap", "cannibalised")}
    return ActionResult(
        outputs={"keyword gaps": str(out)},
        facts=counts,
        summary=f"{counts['gap']} gaps, {counts['cannibalised']} cannibalised",
    )


ACTIONS = [
    Action(
        "keywords.cluster",
        ClusterArgs,
        cluster,
        "cluster keywords and map them to the site (`marketloop keywords cluster`)",
        outputs="WORKSPACE/reports/clusters.json, keywords.html",
        reads_warehouse=True,
    ),
    Action(
        "keywords.gaps",
        GapsArgs,
        gaps,
        "content gaps and cannibalisation (`marketloop keywords gaps`)",
        outputs="WORKSPACE/reports/keyword-gaps.csv",
        reads_warehouse=True,
    ),
]
