"""Inline SVG charts for the HTML reports: pure functions from numbers to markup.

Every chart escapes its labels, scales to its data, and carries a <title> per mark so hovering
shows the exact value. Each `<svg role="img">` has an accessible name (`aria-label` and a first
`<title>`): the `title` given, else a summary of what it shows; `named` renames a chart.
Colours come from `PALETTE` or a per-label mapping (severities, statuses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape as _escape

from markupsafe import Markup

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899")
SEMANTIC = {
    "critical": "#dc2626",
    "warning": "#f59e0b",
    "notice": "#3b82f6",
    "fail": "#dc2626",
    "warn": "#f59e0b",
    "pass": "#16a34a",
    "error": "#dc2626",
    "skipped": "#9ca3af",
}


#: characters no SVG (XML) may hold, and that text from outside can carry
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


def escape(text: str) -> str:
    """`text` for markup: escaped, control characters dropped."""
    return _escape(CONTROL.sub("", text))


def colour(label: str, index: int = 0) -> str:
    return SEMANTIC.get(label.lower(), PALETTE[index % len(PALETTE)])


def hbar(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    row: int = 22,
    colours: Mapping[str, str] | None = None,
    unit: str = "",
    title: str | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value), longest scale = the largest value."""
    if not items:
        return Markup('<p class="muted">No data.</p>')
    label_w, value_w = 220, 70
    plot = width - label_w - value_w
    top = max(v for _, v in items) or 1
    height = row * len(items) + 4
    shown = ", ".join(f"{label} {_fmt(value)}{unit}" for label, value in items[:8])
    more = f" and {len(items) - 8} more" if len(items) > 8 else ""
    parts = [_open(width, height, title or f"Bar chart: {shown}{more}")]
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        fill = (colours or {}).get(label) or colour(label, i)
        w = max(1.0, plot * value / top) if value else 0
        text = _fmt(value) + unit
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row * 0.68:.1f}" text-anchor="end">'
            f"{escape(_clip(label, 34))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" rx="2" '
            f'fill="{fill}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row * 0.68:.1f}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line(
    series: Mapping[str, Sequence[float | None]],
    labels: Sequence[str],
    *,
    width: int = 640,
    height: int = 200,
    title: str | None = None,
) -> Markup:
    """One polyline per series over shared x labels (dates, run ids); gaps where a value is None."""
    values = [v for s in series.values() for v in s if v is not None]
    if not values or not labels:
        return Markup('<p class="muted">No data.</p>')
    left, bottom, pad = 48, 28, 10
    lo, hi = min(0.0, *values), max(values) or 1.0
    span = (hi - lo) or 1.0
    step = (width - left - pad) / max(1, len(labels) - 1)

    def point(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{pad + (height - bottom - pad) * (1 - (v - lo) / span):.1f}"

    name = title or (
        f"Line chart of {', '.join(series)} over {len(labels)} points, {labels[0]} to "
        f"{labels[-1]}, from {_fmt(lo)} to {_fmt(hi)}"
    )
    parts = [_open(width, height, name), _axes(left, pad, width - pad, height - bottom, lo, hi)]
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % max(1, len(labels) // 8) == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(_clip(label, 12))}</text>"
            )
    for k, (name, points) in enumerate(series.items()):
        stroke = colour(name, k)
        segment: list[str] = []
        for i, v in enumerate(points):
            if v is None:
                parts.append(_polyline(segment, stroke, name))
                segment = []
                continue
            segment.append(point(i, v))
            parts.append(
                f'<circle cx="{point(i, v).split(",")[0]}" cy="{point(i, v).split(",")[1]}" '
                f'r="2.5" fill="{stroke}"><title>{escape(name)} · {escape(labels[i])}: '
                f"{_fmt(v)}</title></circle>"
            )
        parts.append(_polyline(segment, stroke, name))
    parts.append("</svg>")
    return Markup("".join(parts)) + legend(list(series))


def stacked_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    width: int = 640,
    height: int = 220,
    title: str | None = None,
) -> Markup:
    """Vertical stacked bars: one bar per category, one coloured segment per series."""
    totals = [sum(s[i] for s in series.values()) for i in range(len(categories))]
    if not categories or not any(totals):
        return Markup('<p class="muted">No data.</p>')
    left, bottom, pad = 48, 28, 10
    top = max(totals)
    slot = (width - left - pad) / len(categories)
    bar_w = max(2.0, slot * 0.7)
    plot_h = height - bottom - pad
    name = title or (
        f"Stacked bar chart of {', '.join(series)} for {len(categories)} categories "
        f"({categories[0]} to {categories[-1]}), highest total {_fmt(top)}"
    )
    parts = [_open(width, height, name), _axes(left, pad, width - pad, height - bottom, 0, top)]
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y: float = height - bottom
        for k, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour(name, k)}"><title>{escape(category)} · {escape(name)}: '
                f"{_fmt(values[i])}</title></rect>"
            )
        if len(categories) <= 16 or i % max(1, len(categories) // 8) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(_clip(category, 12))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts)) + legend(list(series))


def legend(names: Sequence[str], colours: Mapping[str, str] | None = None) -> Markup:
    items = "".join(
        f'<span class="key"><i style="background:{(colours or {}).get(n) or colour(n, k)}">'
        f"</i>{escape(n)}</span>"
        for k, n in enumerate(names)
    )
    return Markup(f'<div class="legend">{items}</div>')


def _open(width: int, height: int, name: str) -> str:
    label = escape(" ".join(name.split()))
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{label}"><title>{label}</title>'
    )


_NAME = re.compile(r'aria-label="[^"<]*"><title>[^<]*</title>')


def named(chart: Markup, name: str) -> Markup:
    """`chart` with the accessible name `name` instead of its summary (a 'No data' note as is)."""
    label = escape(" ".join(name.split()))
    renamed = _NAME.sub(lambda _: f'aria-label="{label}"><title>{label}</title>', chart, count=1)
    return Markup(renamed)


def _axes(x0: float, y0: float, x1: float, y1: float, lo: float, hi: float) -> str:
    return (
        f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" class="axis"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" class="axis"/>'
        f'<text x="{x0 - 6}" y="{y0 + 4}" text-anchor="end">{_fmt(hi)}</text>'
        f'<text x="{x0 - 6}" y="{y1}" text-anchor="end">{_fmt(lo)}</text>'
    )


def _polyline(points: list[str], stroke: str, name: str) -> str:
    if len(points) < 2:
        return ""
    return (
        f'<polyline fill="none" stroke="{stroke}" stroke-width="2" points="{" ".join(points)}">'
        f"<title>{escape(name)}</title></polyline>"
    )


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gantt(
    bars: Sequence[tuple[str, int, int, str]],
    columns: Sequence[str],
    *,
    ghosts: Mapping[str, int] | None = None,
    shaded: Sequence[int] = (),
    today: int | None = None,
    colours: Mapping[str, str] | None = None,
    width: int = 760,
    row: int = 20,
    title: str | None = None,
) -> Markup:
    """A Gantt chart: one row per (label, start column, length in columns, status).

    `ghosts` draws a dashed outline where a row was planned (its baseline column), `shaded`
    greys columns (weekends, buffer days) and `today` draws a vertical line.
    """
    if not bars or not columns:
        return Markup('<p class="muted">No data.</p>')
    label_w, top = 120, 18
    cell = (width - label_w - 8) / len(columns)
    height = top + row * len(bars) + 4
    name = title or f"Gantt chart of {len(bars)} tasks over {len(columns)} columns"
    parts = [_open(width, height, name)]
    parts.extend(
        f'<rect x="{label_w + col * cell:.1f}" y="{top}" width="{cell:.1f}" '
        f'height="{row * len(bars)}" fill="#f3f4f6"/>'
        for col in shaded
    )
    for col, name in enumerate(columns):
        parts.append(
            f'<text x="{label_w + (col + 0.5) * cell:.1f}" y="12" text-anchor="middle">'
            f"{escape(_clip(name, 4))}</text>"
        )
    for i, (label, start, length, status) in enumerate(bars):
        y = top + i * row
        fill = (colours or {}).get(status) or colour(status, 0)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row * 0.7:.1f}" text-anchor="end">'
            f"{escape(_clip(label, 18))}</text>"
        )
        ghost = (ghosts or {}).get(label)
        if ghost is not None and ghost != start:
            parts.append(
                f'<rect x="{label_w + ghost * cell + 1:.1f}" y="{y + 4}" width="{cell - 2:.1f}" '
                f'height="{row - 8}" fill="none" stroke="#9ca3af" stroke-dasharray="3 2">'
                f"<title>{escape(label)}: planned {escape(columns[ghost])}</title></rect>"
            )
        parts.append(
            f'<rect x="{label_w + start * cell + 1:.1f}" y="{y + 3}" '
            f'width="{max(1.0, length * cell - 2):.1f}" height="{row - 6}" rx="2" fill="{fill}">'
            f"<title>{escape(label)}: {escape(status)}</title></rect>"
        )
    if today is not None:
        x = label_w + (today + 0.5) * cell
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height}" stroke="#dc2626" '
            'stroke-width="1.5"><title>today</title></line>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
