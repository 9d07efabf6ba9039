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


def test_a_slack_webhook_and_email_are_checked_without_sending(tmp_path: Path) -> None:
    from tests.smtp import PASSWORD, smtp_server

    slack = SlackFake()
    with LocalServer(slack.app) as s, smtp_server(tmp_path / "smtp") as smtp:
        hook = slack.webhook_url(s.url, "C0AIML0001")
        env = {"MARKETLOOP_WORKSPACE": str(tmp_path / "ws"), "MARKETLOOP_SLACK_WEBHOOK_URL": hook}
        env |= {f"MARKETLOOP_EMAIL_{k.upper()}": str(v) for k, v in smtp.settings().items()}
        result = CliRunner().invoke(app, ["integrations", "check", "--format", "json"], env=env)
        assert result.exit_code == 0, result.output
        rows = {row["service"]: row for row in json.loads(result.stdout)}
        assert rows["slack"]["status"] == "ok" and "webhook" in rows["slack"]["detail"]
        assert rows["email"]["status"] == "ok" and "logged in" in rows["email"]["detail"]
        assert slack.messages == [] and smtp.inbox.envelopes == []  # nothing was sent
        env["MARKETLOOP_SLACK_WEBHOOK_URL"] = hook.rsplit("/", 1)[0] + "/removed"
        env["MARKETLOOP_EMAIL_PASSWORD"] = "not-" + PASSWORD
        result = CliRunner().invoke(app, ["integrations", "check", "--format", "json"], env=env)
    assert result.exit_code == 1
    rows = {row["service"]: row for row in json.loads(result.stdout)}
    assert rows["slack"]["status"] == "failed" and "no_service" in rows["slack"]["detail"]
    assert rows["email"]["status"] == "failed" and "535" in rows["email"]["detail"]
    assert PASSWORD not in result.stdout and "/removed" not in result.stdout
