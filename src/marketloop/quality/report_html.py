"""The data health report as one self-contained HTML file, with inline SVG charts from the
shared kit (`marketloop.report`): freshness lag per source, test outcomes per source and per run,
row counts per table over runs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marketloop.report import charts, render, write_report

STATUSES = ("pass", "warn", "fail", "error", "skipped")


def render_html(report: Mapping[str, Any], docs_link: str | None = None) -> str:
    return render(
        "marketloop.quality",
        "data_health.html",
        title="Data health",
        r=report,
        charts_data=chart_data(report),
        docs_link=docs_link,
    )


def write_html(report: Mapping[str, Any], path: Path, docs: Path | None = None) -> Path:
    """The report at `path`; it links to the dbt docs site `docs` when that file exists."""
    link = None
    if docs is not None and docs.is_file():
        link = Path(os.path.relpath(docs.resolve(), path.resolve().parent)).as_posix()
    return write_report(path, render_html(report, link))


def chart_data(report: Mapping[str, Any]) -> dict[str, Any]:
    """The numbers behind the report's charts, shaped for `marketloop.report.charts`."""
    runs = report["history"]["runs"]
    row_counts: dict[str, dict[str, list[float | None]]] = {}
    for table, series in sorted(report["history"]["row_counts"].items()):
        dataset, _, name = table.partition(".")
        row_counts.setdefault(dataset, {})[name] = list(series)
    lags = [(_freshness_label(f), f["lag_hours"] or 0.0) for f in report["freshness"]]
    areas = sorted({t["source"] for t in report["tests"]})
    return {
        "run_labels": [str(run["started_at"])[5:16].replace("T", " ") for run in runs],
        "row_counts": row_counts,
        "freshness": lags,
        "freshness_colours": {
            _freshness_label(f): charts.colour(f["status"]) for f in report["freshness"]
        },
        "test_areas": areas,
        "test_outcomes": {
            status: [_count(report["tests"], area, status) for area in areas] for status in STATUSES
        },
        "test_runs": {
            status: [run.get("tests", {}).get(status, 0) for run in runs] for status in STATUSES
        },
    }


def _freshness_label(result: Mapping[str, Any]) -> str:
    return f"{result['source']} · {'load' if result['kind'] == 'load' else result['table']}"


def _count(tests: list[dict[str, Any]], area: str, status: str) -> int:
    return sum(1 for t in tests if t["source"] == area and t["status"] == status)
