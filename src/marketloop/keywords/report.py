"""A self-contained HTML report of a keyword run (shared kit: `marketloop.report`): the clusters
worth writing for, whether the site already serves them, and where pages compete. One file,
inline CSS and SVG, no scripts, so it can be mailed or attached to a ticket."""

from __future__ import annotations

from pathlib import Path

from marketloop.keywords.mapping import Coverage
from marketloop.keywords.model import Cluster
from marketloop.report import render, write_report

COLOURS = {"gap": "#d9480f", "cannibalised": "#e8a400", "covered": "#2f9e44"}
CHART_ROWS = 20


def render_html(clusters: list[Cluster], coverage: list[Coverage]) -> str:
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
    )


def write_html(clusters: list[Cluster], coverage: list[Coverage], path: Path) -> Path:
    return write_report(path, render_html(clusters, coverage))
