"""The dashboard in the system Chromium, through the primary flows, with axe-core (vendored
from the npm registry, tests/web/vendor) on every page: no serious or critical violation, and
no horizontal overflow at 1280×800. A screenshot of the page is kept when a test fails
(MARKETLOOP_TEST_ARTIFACTS, default ./artifacts/screenshots)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import FLAGS, browser
from tests.web.browser_server import PASSWORD, ROOT, Dashboard

from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.server import LocalServer

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
ARTIFACTS = Path(os.environ.get("MARKETLOOP_TEST_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
CRAWL = "example.com-20250115T093000Z"
PAGES = ["/", "/runs", "/site", "/site/pages", f"/site/page?crawl={CRAWL}&url=https://example.com/pricing",
         "/site/compare", "/tickets", "/data-health", "/keywords", "/briefs",
         "/briefs/content-brief-template", "/evals", "/plan", "/settings"]  # fmt: skip
__all__ = ["FLAGS", "browser"]


@dataclass
class WithEnv(Dashboard):
    """The dashboard's processes with more environment (the fake Notion's URL and token)."""

    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra}


HOSTILE_TITLE = '<script>alert(1)</script> "Q&A" =SUM(1) [b]x[/b]'


@pytest.fixture(scope="module")
def notion() -> Iterator[tuple[NotionFake, str, str]]:
    """The fake Notion (a thread of this process) the dashboard publishes into."""
    fake = NotionFake()
    fake.knobs.rate = None
    database_id, _ = fake.add_database("Content briefs", BRIEF_SCHEMA)
    with LocalServer(fake.app) as server:
        yield fake, server.url, database_id


@pytest.fixture(scope="module")
def dashboard(seed_template: Path, tmp_path_factory: pytest.TempPathFactory,
              notion: tuple[NotionFake, str, str]) -> Iterator[Dashboard]:  # fmt: skip
    from marketloop.content.brief import Brief

    workspace = tmp_path_factory.mktemp("dash") / "ws"
    shutil.copytree(seed_template, workspace, symlinks=True)
    briefs = workspace / "briefs"
    brief = Brief.model_validate_json((briefs / "content-brief-template.json").read_bytes())
    hostile = brief.model_copy(update={"slug": "hostile-brief", "cluster": "hostile brief",
                                       "title_options": [HOSTILE_TITLE]})  # fmt: skip
    (briefs / "hostile-brief.json").write_text(hostile.model_dump_json(), "utf-8")
    (briefs / "hostile-brief.md").write_text("# <img src=x onerror=alert(2)>\n\nBody.\n", "utf-8")
    fake, url, database_id = notion
    server = WithEnv(workspace, extra={
        "MARKETLOOP_NOTION_TOKEN": fake.token, "MARKETLOOP_NOTION_DATABASE_ID": database_id,
        "MARKETLOOP_NOTION_BASE_URL": url,
    })  # fmt: skip
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any, dashboard: Dashboard, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page that may reach only the dashboard, and records script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(dashboard.url) else route.abort())  # fmt: skip
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def log_in(page: Any, dashboard: Dashboard, name: str) -> None:
    page.goto(f"{dashboard.url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{dashboard.url}/")


def check_page(page: Any) -> None:
    """axe-core: no serious or critical violation; and nothing wider than the window."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]  # fmt: skip
    assert not bad, f"{page.url}: {bad}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} overflows by {overflow}px"


def test_every_page_is_accessible(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "admin")
    for path in PAGES:
        page.goto(dashboard.url + path)
        assert page.locator("nav").count() == 1, path
        check_page(page)
    assert not page.errors


def test_keyboard_reaches_the_nav_with_visible_focus(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "viewer")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused == "Overview" and outline != "none"


def test_start_a_loop_and_watch_it_finish(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "editor")
    page.goto(f"{dashboard.url}/runs")
    page.locator("form[action='/runs'] select[name=loop]").select_option("tiny")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/runs/run-"))
    # live status (htmx polling), no reload: the gate holds the second step for a person
    page.get_by_role("button", name="Approve publish").wait_for(timeout=30_000)
    page.get_by_role("button", name="Approve publish").click()
    page.locator("#run-status").get_by_text("succeeded").wait_for(timeout=30_000)
    # each step's own log, written by the worker process, shown on the page
    page.locator("#log-publish summary").click()
    assert "step finished" in page.locator("#log-publish pre").inner_text()
    assert not page.errors


def test_filter_the_explorer_and_open_a_page(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "viewer")
    page.goto(f"{dashboard.url}/site/pages")
    page.get_by_label("URL contains").fill("pricing")
    page.wait_for_url(re.compile(r"q=pricing"))  # htmx swapped the table and pushed the URL
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert "<script>x</script>" in rows.first.inner_text()  # shown as text, never run
    page.get_by_label("Sort").select_option("-inlinks")
    page.wait_for_url(re.compile(r"sort=-inlinks"))
    page.locator("#results a", has_text="https://example.com/pricing").click()
    page.get_by_role("heading", name="Inlinks", exact=False).wait_for()
    page.go_back()
    page.get_by_label("URL contains").wait_for()
    assert not page.errors


def test_approve_a_brief(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "editor")
    page.goto(f"{dashboard.url}/briefs")
    page.locator("#results a").first.click()
    page.get_by_role("button", name="Approve").click()
    assert "by web:editor" in page.locator("text=approved").last.locator("..").inner_text()


def test_approve_a_brief_and_publish_it_to_notion(
    page: Any, dashboard: Dashboard, notion: tuple[NotionFake, str, str]
) -> None:
    """Hostile text from the brief stays text in the page and arrives in Notion as written."""
    fake, _, _ = notion
    page.on("dialog", lambda d: page.errors.append(f"dialog: {d.message}"))
    log_in(page, dashboard, "editor")
    page.goto(f"{dashboard.url}/briefs/hostile-brief")
    assert page.get_by_role("heading", level=1).inner_text() == HOSTILE_TITLE
    page.get_by_role("button", name="Publish to Notion").click()
    page.get_by_text("approve the brief before publishing it").wait_for()
    assert not [p for s in fake.sources for p in fake.pages_in(s)]
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Publish to Notion").click()
    page.get_by_text("published to Notion (created)").wait_for()
    pages = [p for s in fake.sources for p in fake.pages_in(s)]
    titles = [t["plain_text"] for p in pages for prop in p["properties"].values()
              if prop.get("type") == "title" for t in prop["title"]]  # fmt: skip
    assert titles == [HOSTILE_TITLE]
    link = page.locator(".notice").inner_text().rsplit(": ", 1)[1]
    assert pages[0]["id"].replace("-", "") in link.replace("-", "")
    assert not page.errors  # no script ran, no alert opened


def test_record_a_slip_and_see_the_escalation(page: Any, dashboard: Dashboard) -> None:
    log_in(page, dashboard, "editor")
    page.goto(f"{dashboard.url}/plan")
    assert "day19" not in page.locator("#escalations").inner_text()
    page.locator("select[name=kind]").select_option("slip")
    page.locator("select[name=task]").select_option("day19")
    page.get_by_label("Business days (slip)").fill("3")
    page.get_by_label("Reason").fill('vendor <late> & "sorry"')
    page.get_by_role("button", name="Record").click()
    page.get_by_text("recorded slip of day19").wait_for()
    escalation = page.locator("#escalations p", has_text="day19").inner_text()
    assert "slipped 3 business days" in escalation
    assert "vendor <late>" in page.content().replace("&lt;", "<").replace("&gt;", ">")


def test_create_and_revoke_an_api_key(page: Any, dashboard: Dashboard) -> None:
    import httpx

    log_in(page, dashboard, "admin")
    page.goto(f"{dashboard.url}/settings")
    page.get_by_label("Name").fill("browser-key")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text()
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{dashboard.url}/api/v1/crawls", headers=auth).status_code == 200
    page.goto(f"{dashboard.url}/settings")
    assert key not in page.content()
    page.get_by_role("row", name=re.compile("browser-key")).get_by_role("button").click()
    assert httpx.get(f"{dashboard.url}/api/v1/crawls", headers=auth).status_code == 401


def test_viewer_cannot_act(page: Any, dashboard: Dashboard) -> None:
    """Buttons are hidden from a viewer, and the server refuses the forms anyway."""
    log_in(page, dashboard, "viewer")
    page.goto(f"{dashboard.url}/plan")
    assert page.get_by_role("button", name="Record").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for path, form in [("/plan/events", {"kind": "done", "task": "day1"}),
                       ("/briefs/content-brief-template/review", {"decision": "approve"}),
                       ("/runs", {"loop": "tiny"}), ("/settings/keys", {"name": "x"})]:  # fmt: skip
        answer = page.request.post(dashboard.url + path, form={**form, "csrf_token": token})
        assert answer.status == 403, path
    page.goto(f"{dashboard.url}/settings")
    assert page.get_by_role("heading", name=re.compile("403")).count() == 1
