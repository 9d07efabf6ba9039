"""The JavaScript checks (audit/checks/javascript.py) on a site crawled with a real Chromium:
scripts set a title, description, canonical and robots directives, add links and content,
throw an error and request a resource robots.txt disallows; each check fires on its page and
on no static page, and none fires on the same site crawled without rendering."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from markupsafe import escape
from tests.hostile import CONTROL, FORMULA, HTML, MARKUP, assert_html_inert, assert_markup_inert
from typer.testing import CliRunner

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl

from .static_site import serve
from .test_render import settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
JS_CHECKS = {
    "title_changed_by_javascript",
    "h1_changed_by_javascript",
    "meta_description_changed_by_javascript",
    "canonical_changed_by_javascript",
    "noindex_only_in_raw_html",
    "robots_changed_by_javascript",
    "links_need_javascript",
    "content_needs_javascript",
    "javascript_error",
    "blocked_resource",
}
HOSTILE_TITLE = f"JS {HTML} {MARKUP} {CONTROL}"
HOSTILE_ERROR = f"{FORMULA} {HTML} {MARKUP} {CONTROL}"
#: the hostile text as a JavaScript string literal inside an inline <script>
SCRIPTED_H1 = json.dumps(HOSTILE_TITLE).replace("</", "<\\/")
WORDS = " ".join(f"word{i}" for i in range(120))


def page(head: str = "", main: str = WORDS, scripts: str = "") -> str:
    return f"<html><head>{head}</head><body><main>{main}</main>{scripts}</body></html>"


def script(body: str) -> str:
    return f"<script>{body}</script>"


APP = """
document.title = {title};
const head = document.head;
const meta = document.createElement("meta");
meta.name = "description"; meta.content = "Made by a script for the app page";
head.appendChild(meta);
const canonical = document.createElement("link");
canonical.rel = "canonical"; canonical.href = "/static";
head.appendChild(canonical);
const main = document.querySelector("main");
main.textContent = {words};
for (let i = 0; i < 7; i++) {{
  const a = document.createElement("a"); a.href = "/static?n=" + i; a.textContent = "n" + i;
  main.appendChild(a);
}}
fetch("/private/data.json").catch(() => null);
fetch("/missing.json").catch(() => null);
setTimeout(() => {{ throw new Error({error}); }}, 0);
"""


def site(third_party: str) -> dict[str, tuple[str, str]]:
    links = "".join(
        f'<a href="{p}">{p}</a>'
        for p in ("/static", "/app", "/noindex", "/robots", "/retitled", "/reheaded", "/headed")
    )
    app_js = APP.format(
        title=json.dumps(HOSTILE_TITLE), words=json.dumps(WORDS + " " + WORDS),
        error=json.dumps(HOSTILE_ERROR),
    )  # fmt: skip
    return {
        "/robots.txt": ("text/plain", "User-agent: *\nDisallow: /private/\n"),
        "/": (
            "text/html",
            page(
                '<title>Home of the test site, static</title><link rel="canonical" href="/">'
                '<meta name="description" content="A static home page">'
                '<meta name="robots" content="index, follow">'
                f'<script src="{third_party}analytics.js"></script>',  # blocked on purpose
                main=WORDS + links,
                scripts=script("document.body.dataset.seen = '1';"),  # changes nothing checked
            ),
        ),
        "/static": ("text/html", page("<title>A static page with no script</title>")),
        "/app": ("text/html", page('<script src="/app.js" defer></script>', main="Loading")),
        "/app.js": ("application/javascript", app_js),
        "/noindex": (
            "text/html",
            page(
                '<title>Noindex removed</title><meta name="robots" content="noindex">',
                scripts=script('document.querySelector("meta[name=robots]").remove();'),
            ),
        ),
        "/robots": (
            "text/html",
            page(
                "<title>Nofollow added</title>",
                scripts=script(
                    'const m = document.createElement("meta"); m.name = "robots";'
                    'm.content = "nofollow"; document.head.appendChild(m);'
                ),
            ),
        ),
        "/retitled": (
            "text/html",
            page("<title>Old title</title>", scripts=script('document.title = "New title";')),
        ),
        "/reheaded": (
            "text/html",
            page(
                "<title>A heading changed</title>",
                main=f"<h1>Served heading</h1>{WORDS}",
                scripts=script('document.querySelector("h1").textContent = ' + SCRIPTED_H1 + ";"),
            ),
        ),
        "/headed": (  # a served H1 that no script touches: not flagged
            "text/html",
            page("<title>A static heading</title>", main=f"<h1>Static heading</h1>{WORDS}"),
        ),
    }


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """(site URL, the rendered crawl, the same site crawled without rendering); the renderer
    never requested what robots.txt disallows."""
    folder = tmp_path_factory.mktemp("jschecks")
    pages = site("")
    with serve(pages) as served:
        pages.update(site(served.url.replace("127.0.0.1", "localhost")))
        run_crawl(served.url, folder / "js", settings(render="js"))
        run_crawl(served.url, folder / "raw", settings())
    assert not [p for p in served.requested if p.startswith("/private/")]  # robots.txt obeyed
    assert "/missing.json" in served.requested  # fetched, and failed
    return served.url, folder / "js", folder / "raw"


def found(crawl: Path) -> dict[str, set[str]]:
    """URL path -> the JavaScript checks that flag it."""
    result = audit(crawl, AuditSettings(), select=sorted(JS_CHECKS), save=False)
    flagged: dict[str, set[str]] = {}
    for issue in result.issues:
        path = "/" + issue.url.split("/", 3)[3]
        flagged.setdefault(path, set()).add(issue.check)
    return flagged


def test_each_check_fires_on_its_page_and_on_no_static_one(
    crawls: tuple[str, Path, Path],
) -> None:
    url, rendered, _ = crawls
    pages = {r["url"] for r in CrawlDataset.open(rendered).query("SELECT url FROM pages")}
    assert url + "static?n=6" in pages  # script-built links were followed
    assert found(rendered) == {
        "/app": {
            "title_changed_by_javascript",
            "meta_description_changed_by_javascript",
            "canonical_changed_by_javascript",
            "links_need_javascript",
            "content_needs_javascript",
            "javascript_error",
            "blocked_resource",
        },
        "/noindex": {"noindex_only_in_raw_html"},
        "/robots": {"robots_changed_by_javascript"},
        "/retitled": {"title_changed_by_javascript"},
        "/reheaded": {"h1_changed_by_javascript"},
    }


def test_the_details_say_what_changed(crawls: tuple[str, Path, Path]) -> None:
    url, rendered, _ = crawls
    result = audit(rendered, AuditSettings(), select=sorted(JS_CHECKS), save=False)
    details = {(i.check, i.url): i.detail for i in result.issues}
    assert details["title_changed_by_javascript", url + "retitled"] == (
        'title changed by JavaScript: served "Old title", rendered "New title"'
    )
    shown = " ".join(HOSTILE_TITLE.split())  # the parser collapses the whitespace
    assert details["h1_changed_by_javascript", url + "reheaded"] == (
        f'H1 changed by JavaScript: served "Served heading", rendered "{shown}"'
    )
    assert details["canonical_changed_by_javascript", url + "app"] == (
        f'canonical set by JavaScript: "{url}static"'
    )
    assert details["links_need_javascript", url + "app"] == "0 internal links served, 7 rendered"
    assert details["content_needs_javascript", url + "app"] == (
        "1 word served, 247 rendered"  # the 240 words and the 7 links' texts
    )
    assert details["robots_changed_by_javascript", url + "robots"] == (
        'meta robots served "", rendered "nofollow"'
    )
    blocked = details["blocked_resource", url + "app"]
    assert blocked.startswith("2 resources not loaded: ")
    assert f"{url}private/data.json (robots)" in blocked
    assert f"{url}missing.json (HTTP 404)" in blocked
    assert "analytics.js" not in " ".join(
        details.values()
    )  # third party blocked on purpose: no issue
    assert HTML in details["javascript_error", url + "app"]


def test_no_javascript_check_fires_without_rendering(crawls: tuple[str, Path, Path]) -> None:
    url, _, raw = crawls
    assert found(raw) == {}
    pages = {r["url"] for r in CrawlDataset.open(raw).query("SELECT url FROM pages")}
    assert url + "static?n=0" not in pages  # script-built links are found only when rendering


def test_hostile_title_and_error_are_text_in_the_report_and_the_csv(
    crawls: tuple[str, Path, Path], tmp_path: Path
) -> None:
    url, rendered, _ = crawls
    cli = CliRunner()
    ws = ["--workspace", str(tmp_path / "ws")]
    checks = [arg for check in sorted(JS_CHECKS) for arg in ("--check", check)]
    out = tmp_path / "report.html"
    result = cli.invoke(app, ["audit", str(rendered), "--format", "html", "--out", str(out), *ws])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert_html_inert(html)
    assert "\x07" not in html and "\x1b" not in html
    result = cli.invoke(app, ["audit", str(rendered), "--format", "json", *checks, *ws])
    issues = {(i["check"], i["url"]): i["detail"] for i in json.loads(result.stdout)}
    title = issues["title_changed_by_javascript", url + "app"]
    error = issues["javascript_error", url + "app"]
    assert HTML in title and MARKUP in title and HTML in error and "=HYPERLINK" in error
    for detail in (title, error):
        assert str(escape(detail.split(" [/]")[0])) in html  # escaped, not dropped
    result = cli.invoke(app, ["audit", str(rendered), "--format", "csv", *checks, *ws])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    cells = {(r["check"], r["url"]): r["detail"] for r in rows}
    assert cells["title_changed_by_javascript", url + "app"] == title  # one cell, intact
    assert cells["javascript_error", url + "app"] == error
    result = cli.invoke(app, ["audit", str(rendered), "--check", "javascript_error", *ws])
    assert result.exit_code == 0 and "javascript_error" in result.stdout
    assert_markup_inert(result.stdout)
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


def test_the_export_keeps_script_text_as_data_a_spreadsheet_does_not_run(
    crawls: tuple[str, Path, Path], tmp_path: Path
) -> None:
    url, rendered, _ = crawls
    out = tmp_path / "pages.csv"
    result = CliRunner().invoke(
        app, ["crawl-export", str(rendered), "pages", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["url"] == url + "app")
    assert row["titles"] == HOSTILE_TITLE and row["raw_titles"] == ""  # the data, as it was
    assert row["js_errors"] == "'" + HOSTILE_ERROR  # a formula no more (csvsafe.py)
    assert sorted(row["blocked_requests"].splitlines()) == [
        f"{url}missing.json (HTTP 404)",
        f"{url}private/data.json (robots)",
    ]
