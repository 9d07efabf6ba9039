"""One template serves a page and its htmx fragment (STYLE.md habit 23).

A normal request gets the whole page; an htmx request (`HX-Request: true`) gets only the
template's `fragment` block, unless htmx is restoring history (`HX-History-Restore-Request`),
which needs the whole page. Every answer says `Vary: HX-Request` so no cache serves one for
the other. Autoescape is on for every template, and control characters in text from outside
(crawled titles, anchors, URLs) are dropped before escaping: hostile text stays inert.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from marketloop.report.charts import CONTROL, named

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("/", "Overview"), ("/runs", "Runs"), ("/site", "Site"), ("/tickets", "Tickets"),
    ("/data-health", "Data health"), ("/keywords", "Keywords"), ("/briefs", "Briefs"),
    ("/evals", "Evals"), ("/plan", "Plan"), ("/settings", "Settings"),
)  # fmt: skip


def _inert(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return CONTROL.sub("", value)
    return value


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, finalize=_inert,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.globals["nav"] = NAV
    macros: Any = env.get_template("macros.html").module  # globals: fragments skip imports
    env.globals.update(csrf=macros.csrf, badge=macros.status, status=macros.status,
                       empty=macros.empty, flash=macros.flash)  # fmt: skip
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else "—"
    env.filters["labelled"] = named
    env.filters["number"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    return env


def is_fragment(request: Request) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and not headers.get("hx-history-restore-request")


def render(request: Request, name: str, context: dict[str, Any], *, block: str = "fragment",
           status: int = 200) -> HTMLResponse:  # fmt: skip
    template = environment().get_template(name)
    values = {"request": request, "path": request.url.path, **context}
    if is_fragment(request) and block in template.blocks:
        body = _block(template, block, values)
    else:
        body = template.render(values)
    response = HTMLResponse(body, status_code=status)
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-store"
    return response


def _block(template: Template, block: str, values: dict[str, Any]) -> str:
    context = template.new_context(values)
    return "".join(template.blocks[block](context))
