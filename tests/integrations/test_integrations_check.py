"""`marketloop integrations check` against the fake Jira and Slack."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.fakes.jira import JiraFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake


def test_each_connection_is_tried_and_what_is_wrong_is_said(tmp_path: Path) -> None:
    jira, slack = JiraFake({"SEO": "Website SEO"}), SlackFake()
    with LocalServer(jira.app) as j, LocalServer(slack.app) as s:
        env = {
            "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
            "MARKETLOOP_JIRA_URL": j.url,
            "MARKETLOOP_JIRA_EMAIL": "ops@example.com",
            "MARKETLOOP_JIRA_TOKEN": "jira-api-token",
            "MARKETLOOP_JIRA_PROJECT": "SEO",
            "MARKETLOOP_SLACK_TOKEN": "xoxb-wrong",
            "MARKETLOOP_SLACK_BASE_URL": s.url + "/api",
            "MARKETLOOP_PAGERDUTY_ROUTING_KEY": "short",
        }
        result = CliRunner().invoke(app, ["integrations", "check", "--format", "json"], env=env)
    assert result.exit_code == 1
    rows = {row["service"]: row for row in json.loads(result.stdout)}
    assert rows["jira"]["status"] == "ok" and "project SEO" in rows["jira"]["detail"]
    assert rows["slack"]["status"] == "failed" and "invalid_auth" in rows["slack"]["detail"]
    assert "bot token" in rows["slack"]["hint"]
    assert rows["pagerduty"]["status"] == "failed" and "32" in rows["pagerduty"]["detail"]
    assert "xoxb-wrong" not in result.stdout


def test_nothing_configured_is_not_a_failure(tmp_path: Path) -> None:
    env = {"MARKETLOOP_WORKSPACE": str(tmp_path / "ws")}
    result = CliRunner().invoke(app, ["integrations", "check", "--format", "json"], env=env)
    assert result.exit_code == 0
    assert {row["status"] for row in json.loads(result.stdout)} == {"not configured"}
