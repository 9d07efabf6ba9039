"""Settings' "Test connection" buttons: the probes of `integrations check`, against the fakes,
admin only, with CSRF, the result inline for htmx and on the page without JavaScript, and no
secret in any answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import log_in

from marketloop.api.app import create_app
from marketloop.config import Settings
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.openai import FakeOpenAI
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.fakes.webhook_receiver import WebhookReceiver

HTMX = {"HX-Request": "true"}
SLACK_TOKEN = "xoxb-wrong-<script>alert(1)</script>-token"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def services(make_settings: Callable[..., Settings], users: dict[str, str]) -> Iterator[Settings]:
    notion, slack, llm = NotionFake(), SlackFake(), FakeOpenAI(models=frozenset({"gpt-4o-mini"}))
    notion.knobs.rate = None
    database_id, _ = notion.add_database("Content briefs", BRIEF_SCHEMA)
    hooks = WebhookReceiver(WHSEC)
    with (LocalServer(notion.app) as n, LocalServer(slack.app) as s, LocalServer(llm.app()) as o,
          LocalServer(hooks.app) as h):  # fmt: skip
        yield make_settings(
            notion={"token": notion.token, "database_id": database_id, "base_url": n.url},
            slack={"token": SLACK_TOKEN, "base_url": s.url + "/api"},
            llm={
                "provider": "openai",
                "api_key": "sk-fake",
                "base_url": o.url + "/v1",
                "model": "gpt-4o-mini",
            },
            webhooks={
                "urls": [f"{h.url}/hooks/zap/AbC123"],
                "secret": WHSEC,
                "allow_http": True,
            },
        )


def _web(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_each_button_runs_the_probe_inline(services: Settings) -> None:
    with _web(services) as web:
        token = log_in(web, "admin")
        page = web.get("/settings").text
        for name in ("notion", "slack", "webhooks", "llm"):
            assert f'hx-post="/settings/integrations/{name}/check"' in page, name
        assert "/settings/integrations/jira/check" not in page  # not configured: no button
        answers = {name: web.post(f"/settings/integrations/{name}/check",
                                  headers={**HTMX, "X-CSRF-Token": token}).text
                   for name in ("notion", "slack", "webhooks", "llm", "jira")}  # fmt: skip
    assert "<html" not in answers["notion"] and 'id="check-notion"' in answers["notion"]
    assert '<span class="status ok">ok</span>' in answers["notion"]
    assert "ready for briefs" in answers["notion"]
    assert '<span class="status ok">ok</span> 1 URL(s) accepted' in answers["webhooks"]
    assert "model gpt-4o-mini is available" in answers["llm"]
    assert "not configured" in answers["jira"]
    slack = answers["slack"]
    assert '<span class="status failed">failed</span>' in slack and "invalid_auth" in slack
    for answer in answers.values():
        assert "xoxb-wrong" not in answer and "alert(1)" not in answer
        assert "sk-fake" not in answer and WHSEC not in answer


def test_a_failing_llm_says_what_is_wrong(services: Settings) -> None:
    wrong = services.model_copy(update={"llm": services.llm.model_copy(update={"model": "gpt-x"})})
    with _web(wrong) as web:
        token = log_in(web, "admin")
        answer = web.post("/settings/integrations/llm/check",
                          headers={**HTMX, "X-CSRF-Token": token}).text  # fmt: skip
    assert "failed" in answer and "404" in answer and "check [llm]" in answer


def test_without_javascript_the_page_shows_the_result(services: Settings) -> None:
    with _web(services) as web:
        token = log_in(web, "admin")
        answer = web.post("/settings/integrations/slack/check", data={"csrf_token": token})
    assert answer.status_code == 200 and "<nav" in answer.text
    assert 'id="check-slack" class="check-result"' in answer.text
    assert "invalid_auth" in answer.text and "xoxb-wrong" not in answer.text


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_an_admin_may_test(services: Settings, role: str) -> None:
    with _web(services) as web:
        token = log_in(web, role)
        answer = web.post("/settings/integrations/slack/check", data={"csrf_token": token})
    assert answer.status_code == 403


def test_csrf_and_unknown_services_are_refused(services: Settings) -> None:
    with _web(services) as web:
        token = log_in(web, "admin")
        assert web.post("/settings/integrations/slack/check", headers=HTMX).status_code == 403
        unknown = web.post("/settings/integrations/<script>/check", data={"csrf_token": token})
        assert unknown.status_code == 404 and "<script>" not in unknown.text
