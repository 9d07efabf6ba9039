"""A self-contained HTML report of a keyword run: the clusters worth writing for, whether the
site already serves them, and where pages compete. One file, inline CSS and SVG, no scripts,
so it can be mailed or attached to a ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, select_autoescape

from marketloop.keywords.mapping import Coverage
from marketloop.keywords.model import Cluster

COLOURS = {"gap": "#d9480f", "cannibalised": "#e8a400", "covered": "#2f9e44"}
CHART_ROWS = 20

TEMPLATE = Path(__file__).parent / "templates" / "report.html.j2"


def render(clusters: list[Cluster], coverage: list[Coverage]) -> str:
    env = Environment(autoescape=select_autoescape(default=True))
    env.tests["web_url"] = _is_web_url  # only http(s) links: a file could hold javascript: URLs
    counts = {s: sum(1 for c in clusters if c.status == s) for s in COLOURS}
    return env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(
        clusters=clusters,
        rows=list(zip(clusters, coverage, strict=True)),
        chart=sorted(clusters, key=lambda c: -c.opportunity)[:CHART_ROWS],
        counts=counts,
        colours=COLOURS,
        total_volume=sum(c.volume for c in clusters),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(clusters: list[Cluster], coverage: list[Coverage], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(clusters, coverage), encoding="utf-8")
    return path


def _is_web_url(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}
