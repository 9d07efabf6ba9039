"""`crawl --render js`: pages rendered in the system Chromium through Playwright, parsed with the
same parser; subrequests go through the crawler's fetcher and its network policy."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.netpolicy import StaticResolver
from marketloop.crawl.progress import CrawlStats
from marketloop.crawl.run import run_crawl

from .static_site import serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_TITLE = "Built by JS <script>alert(1)</script> [/b] =1+1"
SHELL = (
    '<html><head><script src="/app.js" defer></script></head>'
    '<body><main id="root"></main></body></html>'
)
APP = """
document.title = %r;
const link = document.createElement("a");
link.href = "/js-only?from=<js>";
link.textContent = "made by script";
document.getElementById("root").appendChild(link);
for (const url of %s) { fetch(url).catch(() => null); }
setTimeout(() => { throw new Error("boom \\u0007 <b>"); }, 0);
"""


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if not CHROMIUM.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing")


def site_pages(requests: list[str]) -> dict[str, tuple[str, str]]:
    return {
        "/": ("text/html", SHELL),
        "/app.js": ("application/javascript", APP % (HOSTILE_TITLE, requests)),
        "/js-only": ("text/html", "<html><head><title>JS only</title></head><body>x</body></html>"),
        "/api": ("application/json", "{}"),
    }


def settings(**fields: object) -> CrawlSettings:
    return CrawlSettings.model_validate(
        {"parse_workers": 1, "retries": 0, "render_timeout": 10, **fields}
    )


def test_links_and_title_made_by_javascript_are_found_only_when_rendered(tmp_path: Path) -> None:
    pages = site_pages([])
    with serve(pages) as site:
        other = site.url.replace("127.0.0.1", "localhost")  # another host: third party
        pages["/app.js"] = site_pages([other + "track", "/api"])["/app.js"]
        run_crawl(site.url, tmp_path / "raw", settings())
        result = CliRunner().invoke(
            app,
            ["crawl", site.url, "--render", "js", "--out", str(tmp_path / "js"),
             "--workspace", str(tmp_path / "ws")],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    raw = CrawlDataset.open(tmp_path / "raw").query("SELECT url, titles, rendered FROM pages")
    assert [r["url"] for r in raw] == [site.url]  # no link without the script
    assert raw[0]["titles"] == [] and raw[0]["rendered"] is None
    js = {r["url"]: r for r in CrawlDataset.open(tmp_path / "js").query("SELECT * FROM pages")}
    home = js[site.url]
    assert home["titles"] == [HOSTILE_TITLE] and home["rendered"] is True
    assert (home["raw_titles"], home["raw_outlinks_internal"]) == ([], 0)  # as served
    assert home["outlinks_internal"] == 1
    assert site.url + "js-only?from=%3Cjs%3E" in js  # the script's link was followed
    assert home["blocked_requests"] == [f"{other}track (third_party)"]
    assert any("boom" in e for e in home["js_errors"])
    assert home["render_error"] is None
    assert site.requested.count("/") == 2  # rendering used the body already fetched
    assert "/api" in site.requested  # same-host requests go through the crawler's fetcher


def test_private_subrequests_are_refused_and_a_page_that_never_settles_is_kept(
    tmp_path: Path,
) -> None:
    pages = site_pages(["http://10.1.2.3/latest", "http://rebind.test/x"])
    pages["/"] = ("text/html", SHELL.replace("</body>", "<script>setInterval(() => "
                  "fetch('/api?' + Math.random()), 100)</script></body>"))  # fmt: skip
    resolver = StaticResolver({"rebind.test": "192.168.7.7"})
    with serve(pages) as site:
        run_crawl(
            site.url,
            tmp_path / "js",
            settings(render="js", render_block_third_party=False, render_timeout=3),
            resolver=resolver,
        )
    home = CrawlDataset.open(tmp_path / "js").query(
        "SELECT titles, rendered, render_error, blocked_requests FROM pages WHERE url = ?",
        [site.url],
    )[0]
    assert home["rendered"] is True and home["titles"] == [HOSTILE_TITLE]
    assert home["render_error"].startswith("timeout: not settled (networkidle) in 3 s")
    assert sorted(home["blocked_requests"]) == [
        "http://10.1.2.3/latest (private_address)",
        "http://rebind.test/x (private_address)",
    ]


def test_a_browser_that_cannot_start_leaves_the_crawl_unrendered(tmp_path: Path) -> None:
    with serve(site_pages([])) as site:
        result = run_crawl(
            site.url, tmp_path / "c", settings(render="js", chromium_path=tmp_path / "none")
        )
    assert any("the browser did not start" in n for n in result.manifest.notes)
    assert result.manifest.status == "finished"


def test_a_browser_that_never_answers_is_a_timeout_note_with_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncio.wait_for's TimeoutError has no text: the note said "TimeoutError" (the
    `or "timeout"` after first_line never applied); it says how long the launch was given."""
    from marketloop.crawl import render

    monkeypatch.setattr(render, "BROWSER_SECONDS", 0.5)
    mute = tmp_path / "chromium"
    mute.write_text("#!/bin/sh\nexec sleep 5\n")  # never speaks Playwright's protocol
    mute.chmod(0o755)
    with serve(site_pages([])) as site:
        result = run_crawl(site.url, tmp_path / "c", settings(render="js", chromium_path=mute))
    assert result.manifest.notes == [
        "the browser did not start (timeout: no answer in 0.5 s): pages were parsed without "
        "rendering"
    ]
    assert result.manifest.status == "finished"


def test_a_browser_path_that_is_no_program_and_a_missing_playwright_are_one_note_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "chromium"
    plain.write_text("not a program")
    with serve(site_pages([])) as site:
        result = run_crawl(site.url, tmp_path / "c", settings(render="js", chromium_path=plain))
        assert result.manifest.notes == [
            f"the browser did not start ({plain} is not executable): pages were parsed "
            "without rendering"
        ]
        monkeypatch.setitem(sys.modules, "marketloop.crawl.render", None)  # import fails
        result = run_crawl(site.url, tmp_path / "d", settings(render="js"))
    assert result.manifest.status == "finished" and len(result.manifest.notes) == 1
    assert "Playwright is missing" in result.manifest.notes[0]
    assert "marketloop[render]" in result.manifest.notes[0]
    titles = CrawlDataset.open(tmp_path / "d").query(
        "SELECT titles FROM pages WHERE url = ?", [site.url]
    )
    assert titles == [{"titles": []}]  # parsed as served: the script's title is not there


def test_extraction_rules_of_both_kinds_run_on_the_rendered_dom(tmp_path: Path) -> None:
    rules = [
        {"name": "css_link", "css": "#root a", "attribute": "href"},
        {"name": "xpath_link", "xpath": "//main[@id='root']/a", "mode": "all"},
        {"name": "xpath_links", "xpath": "count(//main//a)"},
    ]
    with serve(site_pages([])) as site:
        run_crawl(site.url, tmp_path / "c", settings(render="js", extract=rules))
    got = CrawlDataset.open(tmp_path / "c").query(
        'SELECT name, "values" FROM extractions WHERE page_url = ? ORDER BY name', [site.url]
    )
    assert got == [  # the link exists only once the script ran
        {"name": "css_link", "values": ["/js-only?from=<js>"]},
        {"name": "xpath_link", "values": ["made by script"]},
        {"name": "xpath_links", "values": ["1"]},
    ]


def test_the_documented_custom_check_finds_a_page_that_did_not_finish_rendering(
    tmp_path: Path,
) -> None:
    import tomllib

    from marketloop.audit.config import AuditSettings
    from marketloop.audit.engine import audit

    doc = (Path(__file__).parents[2] / "docs" / "crawl.md").read_text(encoding="utf-8")
    block = doc[doc.index('[[audit.custom]]\nid = "render_incomplete"') :]
    rule = tomllib.loads(block[: block.index("```")])["audit"]["custom"][0]
    busy = "<script>setInterval(() => fetch('/api?' + Math.random()), 100)</script>"
    pages = {
        "/": ("text/html", '<html><body><main>home</main><a href="/busy">b</a></body></html>'),
        "/busy": ("text/html", f"<html><body><main>busy</main>{busy}</body></html>"),
        "/api": ("application/json", "{}"),
    }
    with serve(pages) as site:
        run_crawl(site.url, tmp_path / "c", settings(render="js", render_timeout=2))
    result = audit(tmp_path / "c", AuditSettings(custom=[rule]), select=[rule["id"]], save=False)
    assert [(i.url, i.detail) for i in result.issues] == [
        (site.url + "busy", "timeout: not settled (networkidle) in 2 s")
    ]


def test_an_interrupted_rendered_crawl_resumes_like_any_other(tmp_path: Path) -> None:
    pages = site_pages([])
    links = "".join(f'<a href="/n{i}">{i}</a>' for i in range(4))
    pages["/"] = ("text/html", SHELL.replace("</body>", links + "</body>"))
    for i in range(4):
        pages[f"/n{i}"] = ("text/html", SHELL)

    def interrupt(stats: CrawlStats) -> None:
        if stats.done == 2:
            os.kill(os.getpid(), signal.SIGINT)

    config = settings(render="js", concurrency=1, batch_rows=1)
    with serve(pages) as site:
        assert run_crawl(site.url, tmp_path / "c", config, on_progress=interrupt).interrupted
        done = run_crawl(site.url, tmp_path / "c", config, resume=True)
    assert done.manifest.status == "finished"
    got = CrawlDataset.open(tmp_path / "c").query("SELECT url, rendered, titles FROM pages")
    assert {r["url"] for r in got} == {
        site.url,
        *(f"{site.url}n{i}" for i in range(4)),
        site.url + "js-only?from=%3Cjs%3E",
    }
    assert all(r["rendered"] and r["titles"] == [HOSTILE_TITLE] for r in got if "/n" in r["url"])
    assert len(got) == len({r["url"] for r in got})  # no row twice


def _kill_browsers() -> int:
    """Kill the Chromium browsers this test process started (their main processes)."""
    import psutil

    killed = 0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "--remote-debugging-pipe" in child.cmdline() and "--type=" not in " ".join(
                child.cmdline()
            ):
                child.kill()
                killed += 1
    return killed


def _chain_site(count: int) -> dict[str, tuple[str, str]]:
    pages = site_pages([])
    pages["/"] = ("text/html", SHELL.replace("</body>", '<a href="/n0">0</a></body>'))
    for i in range(count):
        nxt = f'<a href="/n{i + 1}">next</a>' if i + 1 < count else ""
        pages[f"/n{i}"] = ("text/html", SHELL.replace("</body>", nxt + "</body>"))
    return pages


@pytest.mark.parametrize("restarts", [True, False])
def test_a_browser_that_dies_mid_crawl_is_started_again_or_the_crawl_goes_on_unrendered(
    tmp_path: Path, restarts: bool
) -> None:
    """Chromium killed during the crawl: launched again (the pages after it are rendered), or,
    when it cannot start again, the pages after it are parsed as served with a render_error;
    either way the crawl finishes and a note says what happened."""
    flag = tmp_path / "no-more-browsers"
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\n[ -e "{flag}" ] && exit 1\nexec {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    killed: list[int] = []

    def kill_after_three(stats: CrawlStats) -> None:
        if stats.done == 3 and not killed:
            if not restarts:
                flag.touch()
            killed.append(_kill_browsers())

    config = settings(render="js", concurrency=1, chromium_path=wrapper)
    with serve(_chain_site(6)) as site:
        result = run_crawl(site.url, tmp_path / "c", config, on_progress=kill_after_three)
    assert killed == [1]
    assert result.manifest.status == "finished"
    got = CrawlDataset.open(tmp_path / "c").query(
        "SELECT url, rendered, render_error, titles FROM pages WHERE url LIKE '%/n%' ORDER BY depth"
    )
    assert len(got) == 6  # the chain goes on: every page was fetched and parsed
    last = got[-1]
    if restarts:
        assert last["rendered"] is True and last["titles"] == [HOSTILE_TITLE]
        assert any("was started again" in n for n in result.manifest.notes)
    else:
        assert last["rendered"] is False and last["render_error"].startswith("not rendered: ")
        assert any("did not start again" in n for n in result.manifest.notes)
