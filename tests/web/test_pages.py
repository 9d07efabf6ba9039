"""The dashboard's pages and actions, in process, on the seeded workspace."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, bearer

from marketloop.config import Settings
from marketloop.web.render import NAV

PAGES = [href for href, _ in NAV] + [
    "/site/pages", "/site/compare", f"/site/page?crawl={CRAWL_ID}&url=https://example.com/",
    "/briefs/content-brief-template",
]  # fmt: skip


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_its_nav(client: TestClient, login: Callable, path: str) -> None:
    login("admin")
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[-500:]
    assert "<nav" in answer.text and answer.headers["vary"] == "HX-Request"


@pytest.mark.parametrize("path", [href for href, _ in NAV])
def test_empty_workspace_says_what_to_do(client: TestClient, login: Callable, path: str) -> None:
    login("admin")
    answer = client.get(path)
    assert answer.status_code == 200
    if path not in ("/settings", "/plan", "/"):
        assert "<code>marketloop" in answer.text, path


@pytest.mark.usefixtures("seeded")
def test_one_template_serves_page_and_fragment(client: TestClient, login: Callable) -> None:
    login("viewer")
    htmx = {"HX-Request": "true"}
    fragment = client.get("/site/pages?sort=-inlinks", headers=htmx)
    assert "<html" not in fragment.text and "<table" in fragment.text
    assert fragment.headers["vary"] == "HX-Request"
    restore = client.get("/site/pages?sort=-inlinks",
                         headers={**htmx, "HX-History-Restore-Request": "true"})  # fmt: skip
    assert "<html" in restore.text and "<nav" in restore.text


@pytest.mark.usefixtures("seeded")
def test_explorer_filters_sorts_and_pages(client: TestClient, login: Callable) -> None:
    login("viewer")
    found = client.get("/site/pages?status=404").text
    assert "https://example.com/blog/missing" in found and "/pricing<" not in found
    rows = re.findall(r'class="url"><a href="/site/page\?[^"]*url=([^"&]+)',
                      client.get("/site/pages?sort=-url").text)  # fmt: skip
    assert rows == sorted(rows, reverse=True) and len(rows) > 2
    assert "No page matches" in client.get("/site/pages?q=zzzz-nothing").text


@pytest.mark.usefixtures("seeded")
def test_approve_and_request_changes(client: TestClient, login: Callable) -> None:
    token = login("editor")
    slug = "/briefs/content-brief-template"
    missing = client.post(f"{slug}/review", data={"decision": "request_changes",
                                                  "csrf_token": token})  # fmt: skip
    assert missing.status_code == 422 and "say what to change" in missing.text
    client.post(f"{slug}/review", data={"decision": "request_changes", "comment": "<b>more</b>",
                                        "csrf_token": token})  # fmt: skip
    client.post(f"{slug}/review", data={"decision": "approve", "csrf_token": token})
    page = client.get(slug).text
    history = page[page.index("<h2>Decisions</h2>") :]
    assert history.index("approved") < history.index("rejected")
    assert "&lt;b&gt;more&lt;/b&gt;" in history and "web:editor" in history
    assert "approved" in client.get("/briefs?state=approved").text


@pytest.mark.usefixtures("seeded")
def test_plan_slip_is_validated_and_recorded(client: TestClient, login: Callable) -> None:
    token = login("editor")
    no_reason = client.post("/plan/events", data={"kind": "slip", "task": "day10", "days": "2",
                                                  "csrf_token": token})  # fmt: skip
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    unknown = client.post("/plan/events", data={"kind": "slip", "task": "nope", "days": "2",
                                                "reason": "x", "csrf_token": token})  # fmt: skip
    assert unknown.status_code == 422
    done = client.post("/plan/events", data={"kind": "slip", "task": "day10", "days": "2",
                       "reason": "vendor late", "csrf_token": token})  # fmt: skip
    assert done.status_code == 200 and "recorded slip of day10" in done.text
    assert "vendor late" in done.text


@pytest.mark.usefixtures("seeded")
def test_api_key_shown_once_then_revoked(client: TestClient, login: Callable) -> None:
    token = login("admin")
    made = client.post("/settings/keys", data={"name": "zap <x>", "scopes": ["read"],
                                               "csrf_token": token})  # fmt: skip
    assert made.status_code == 201
    key = re.search(r'id="new-key">([^<]+)<', made.text).group(1)  # type: ignore[union-attr]
    assert client.get("/api/v1/crawls", headers=bearer(key)).status_code == 200
    listing = client.get("/settings").text
    assert key not in listing and "zap &lt;x&gt;" in listing
    key_id = re.search(r"/settings/keys/(\d+)/revoke", listing).group(1)  # type: ignore[union-attr]
    client.post(f"/settings/keys/{key_id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/crawls", headers=bearer(key)).status_code == 401


@pytest.fixture
def loop_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    loop = tmp_path / "tiny.yaml"
    loop.write_text("name: tiny\nsteps:\n  a: {action: noop, with: {seconds: 0}}\n")
    return make_settings(runner={"loops": [loop]})


def test_start_and_cancel_a_run(loop_settings: Settings, users: None) -> None:
    from tests.web.conftest import log_in

    from marketloop.api.app import create_app

    with TestClient(create_app(loop_settings)) as web:
        token = log_in(web, "editor")
        assert "tiny" in web.get("/runs").text
        started = web.post("/runs", data={"loop": "tiny", "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
        assert started.status_code == 303
        run = started.headers["location"]
        assert 'hx-trigger="every 1s"' in web.get(run).text  # live while queued
        web.post(f"{run}/cancel", data={"csrf_token": token})
        page = web.get(run).text
        assert "cancelled" in page and "every 1s" not in page
        refused = web.post("/runs", data={"loop": "../etc", "csrf_token": token})
        assert refused.status_code == 400


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("path", ["/runs", "/briefs", "/keywords", "/site/pages?q=zzz-none"])
def test_fragments_render_alone(client: TestClient, login: Callable, path: str) -> None:
    login("editor")
    answer = client.get(path, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<html" not in answer.text
