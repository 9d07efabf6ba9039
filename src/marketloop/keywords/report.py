"""A self-contained HTML report of a keyword run (shared kit: `marketloop.report`): the clusters
worth writing for, whether the site already serves them, and where pages compete. One file,
inline CSS and SVG, no scripts, so it can be mailed or attached to a ticket. When the loop has
measured published content, it ends with how published briefs did and which pages decay."""

from __future__ import annotations

from pathlib import Path

from marketloop.keywords.mapping import Coverage
from marketloop.keywords.model import Cluster
from marketloop.quality.outcomes import Outcomes
from marketloop.report import render, write_report

COLOURS = {"gap": "#d9480f", "cannibalised": "#e8a400", "covered": "#2f9e44"}
CHART_ROWS = 20


def render_html(
    clusters: list[Cluster], coverage: list[Coverage], outcomes: Outcomes | None = None
) -> str:
    """The report; with `outcomes` (quality.outcomes.read_outcomes), also how published briefs
    did and which pages decay."""
    counts = {s: sum(1 for c in clusters if c.status == s) for s in COLOURS}
    return render(
        "marketloop.keywords",
        "keywords_report.html",
        title="Keyword clusters",
        clusters=clusters,
        rows=list(zip(clusters, coverage, strict=True)),
        chart=sorted(clusters, key=lambda c: -c.opportunity)[:CHART_ROWS],
        counts=counts,
        colours=COLOURS,
        total_volume=sum(c.volume for c in clusters),
        outcomes=outcomes,
    )


def write_html(
    clusters: list[Cluster],
    coverage: list[Coverage],
    path: Path,
    outcomes: Outcomes | None = None,
) -> Path:
    return write_report(path, render_html(clusters, coverage, outcomes))
