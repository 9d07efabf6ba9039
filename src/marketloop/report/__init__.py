"""Self-contained HTML reports (audit, data health, eval comparison, status memo).

One Jinja2 environment per stage package: a stage keeps its templates in
`marketloop/<stage>/templates/` and extends `base.html` from here, which carries the CSS, so a
report is one file that can be mailed or attached to a ticket. Charts are inline SVG
(`report.charts`), so reports need no JavaScript and no network. Every `{{ value }}` is
escaped (autoescape) and loses its control characters (`finalize`): a crawled title or an
edited page can hold a bell or a terminal escape, which a page has no use for.

    html = render("marketloop.audit", "audit_report.html", title="SEO audit", issues=rows)
    write_report(path, html)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from marketloop import __version__
from marketloop.report import charts
from marketloop.workspace import write_atomic


@cache
def environment(package: str) -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader(package, "templates"), PackageLoader("marketloop.report", "templates")]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=without_controls,
    )
    env.globals.update(charts=charts, version=__version__)
    env.filters.update(number=format_number, percent=format_percent)
    env.tests.update(web_url=is_web_url)
    return env


# every C0 and C1 control character but tab and the line breaks: deleted by str.translate
_CONTROLS = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def without_controls(value: Any) -> Any:
    """An expression's value without control characters (`Markup.translate` stays markup)."""
    return value.translate(_CONTROLS) if isinstance(value, str) else value


def render(package: str, template: str, **context: Any) -> str:
    """Render `template` from `package`'s templates folder (falling back to the shared ones)."""
    context.setdefault("generated_at", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return environment(package).get_template(template).render(**context)


def write_report(path: Path, html: str) -> Path:
    """Write atomically, so a reader never sees half a report."""
    return write_atomic(path, html)


def is_web_url(url: str) -> bool:
    """`{% if url is web_url %}`: link only http(s) URLs; data can hold `javascript:` ones."""
    return urlsplit(url).scheme in {"http", "https"}


def format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"
