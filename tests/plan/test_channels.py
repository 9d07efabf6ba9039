"""The `channels` notifier: each escalation on the plan's own channel, a fake Slack and a fake
PagerDuty on 127.0.0.1; one message per escalation and channel, nothing paged twice."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.errors import ConfigError, IntegrationError
from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.integrations.escalations import ChannelNotifier, dedup_key
from marketloop.plan.escalation import Escalation
from marketloop.plan.model import Plan
from marketloop.plan.notify import dispatch
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker
from marketloop.workspace import Workspace

START = datetime(2026, 12, 1, 18, tzinfo=UTC)
KEY = "R0UTINGKEY00000000000000000AIML0"
HOSTILE = '<script>alert(1)</script> *bold* [/b] =HYPERLINK("x")'


@pytest.fixture
def fakes() -> Iterator[tuple[SlackFake, PagerDutyFake, Settings]]:
    slack = SlackFake(channels={"C0AIML0001": "aiml-delivery", "U0ALEX": "alex.rivera"})
    pagerduty = PagerDutyFake({KEY})
    with LocalServer(slack.app) as s, LocalServer(pagerduty.app) as p:
        yield slack, pagerduty, (s.url, p.url)  # type: ignore[misc]


def _settings(workspace: Workspace, urls: tuple[str, str], **slack: object) -> Settings:
    section = {"token": "xoxb-1111-2222-fakefakefake", "base_url": urls[0] + "/api"}
    section |= {"users": {"alex.rivera": "U0ALEX"}} | slack
    return load_settings(
        overrides={
            "workspace": workspace.root,
            "plan": {"notifier": "channels"},
            "slack": section,
            "pagerduty": {"routing_key": KEY, "base_url": urls[1]},
        }
    )


def test_escalations_go_to_slack_once(
    example: Plan, fakes: tuple[SlackFake, PagerDutyFake, tuple[str, str]], workspace: Workspace
) -> None:
    slack, _, urls = fakes
    settings = _settings(workspace, urls)
    tracker = Tracker(example, EventLog(open_app_db(app_db_url(settings)), example.id))
    tracker.slip("day7", 3, HOSTILE, START)
    with ChannelNotifier(settings) as notifier:
        sent = dispatch(tracker, tracker.view(START), notifier, START)
        assert dispatch(tracker, tracker.view(START), notifier, START) == []
    assert [e.task for e in sent] == ["day7"]
    [message] = slack.messages
    assert message["channel"] == "U0ALEX" and "day7" in message["text"]
    assert message["blocks"][1]["text"]["type"] == "plain_text"  # never parsed as mrkdwn


def test_pagerduty_triggers_once_per_escalation(
    fakes: tuple[SlackFake, PagerDutyFake, tuple[str, str]], workspace: Workspace
) -> None:
    _, pagerduty, urls = fakes
    page = Escalation("day9", 3, "sre-on-call", "SRE on-call", "sam", "pagerduty:AIML-Auto",
                      "blocked 8 h", ("weekend",))  # fmt: skip
    with ChannelNotifier(_settings(workspace, urls)) as notifier:
        notifier.send("PRJ", page)
        notifier.send("PRJ", page)  # a resend (a crash before it was recorded) is not sent
        notifier.pagerduty().trigger(dedup_key("PRJ", page), "again", "t", "critical")
    assert pagerduty.pages == 1 and len(pagerduty.events) == 2  # ... and would page no one
    assert pagerduty.events[0]["payload"]["severity"] == "critical"


def test_refusals_are_explained(
    fakes: tuple[SlackFake, PagerDutyFake, tuple[str, str]], workspace: Workspace
) -> None:
    slack, _, urls = fakes
    to = Escalation("t", 1, "lead", "Lead", "p", "slack:#nope", "r", ())
    with (
        ChannelNotifier(_settings(workspace, urls)) as notifier,
        pytest.raises(IntegrationError) as caught,
    ):
        notifier.send("PRJ", to)
    assert "channel_not_found" in str(caught.value) and caught.value.hint
    unknown = Escalation("t", 1, "lead", "Lead", "p", "slack:@bob", "r", ())
    with ChannelNotifier(_settings(workspace, urls)) as notifier, pytest.raises(ConfigError):
        notifier.send("PRJ", unknown)
    slack.fail_next(retry_after=1)
    fine = Escalation("t", 1, "lead", "Lead", "p", "slack:#aiml-delivery", HOSTILE, ())
    with ChannelNotifier(_settings(workspace, urls)) as notifier:
        notifier.send("PRJ", fine)  # the 429 is waited out and retried
    assert slack.messages[-1]["channel"] == "C0AIML0001"
    assert slack.messages[-1]["blocks"][1]["text"]["text"] == HOSTILE  # plain_text, literal
