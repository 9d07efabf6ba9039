"""The keyword step of `marketloop demo`: cluster the sample keyword research two ways
(lexical, and SERP overlap with the sample SERPs), map the clusters to the workspace's latest
crawl (and Search Console data, if an earlier step ingested it), and write what to look at:

    WORKSPACE/keywords/keywords.csv, serps.csv   the sample inputs
    WORKSPACE/reports/clusters.json              SERP clusters (read by the content step)
    WORKSPACE/reports/clusters-lexical.json      the same keywords clustered lexically
    WORKSPACE/reports/keyword-gaps.csv           gaps and cannibalisation
    WORKSPACE/reports/keywords.html              the clusters, opportunity chart and coverage
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketloop.clikit import console, esc, rows_to_csv
from marketloop.keywords.report import write_html
from marketloop.keywords.run import GAP_COLUMNS, gap_rows, run_clustering, write_clusters
from marketloop.quality.outcomes import read_outcomes
from marketloop.sample.keywords import generate

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

SAMPLE_SIZE = 90


def demo_step(run: DemoRun) -> None:
    keywords_csv, serps_csv = generate(SAMPLE_SIZE).write(run.workspace.root / "keywords")
    # a short list: its modifiers are rare, so they weigh more; a lower threshold suits it
    lexical_settings = run.settings.keywords.model_copy(
        update={"mode": "lexical", "threshold": 0.5}
    )
    settings = run.settings.model_copy(update={"keywords": lexical_settings})
    lexical = run_clustering(settings, keywords_csv)
    lexical_path = run.workspace.reports_dir / "clusters-lexical.json"
    write_clusters(lexical.clusters, lexical_path)

    settings.keywords.mode = "serp"
    settings.keywords.threshold = None
    result = run_clustering(settings, keywords_csv, serp_file=serps_csv)
    for note in result.notes:
        console.print(f"[dim]{esc(note)}[/]")
    clusters_path = run.workspace.reports_dir / "clusters.json"
    write_clusters(result.clusters, clusters_path)
    gaps_path = run.workspace.reports_dir / "keyword-gaps.csv"
    gaps_path.write_text(rows_to_csv(gap_rows(result, show_all=True), GAP_COLUMNS), "utf-8")

    statuses = [c.status for c in result.clusters]
    console.print(
        f"{len(result.clusters)} SERP clusters ({len(lexical.clusters)} lexical) from "
        f"{SAMPLE_SIZE} keywords: {statuses.count('covered')} covered, "
        f"{statuses.count('gap')} gaps, {statuses.count('cannibalised')} cannibalised"
    )
    report = write_html(
        result.clusters,
        result.coverage,
        run.workspace.reports_dir / "keywords.html",
        read_outcomes(run.settings),
    )
    run.outputs["keyword report"] = report
    run.outputs["clusters"] = clusters_path
    run.outputs["serps"] = serps_csv  # the briefs' sources
    run.outputs["keyword gaps"] = gaps_path
