"""The loop action `notify`: failed runs told to Slack and PagerDuty once each, with a link to
the run; a page is resolved (same dedup key) once a later run of its loop succeeds."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketloop.actions import ActionContext, get_action
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.integrations.deliveries import Deliveries
from marketloop.runner.store import Store

KEY = "R0UTINGKEY00000000000000000AIML0"
HOSTILE = "audit: 3 issues at critical <b>or</b> above <!channel> & <@U0ALEX>\r\nBcc: x"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[SlackFake, PagerDutyFake, Settings]]:
    slack, pagerduty = SlackFake(), PagerDutyFake({KEY})
    with LocalServer(slack.app) as s, LocalServer(pagerduty.app) as p:
        overrides = {
            "workspace": tmp_path / "ws",
            "slack": {"token": slack.token, "base_url": s.url + "/api"},
            "pagerduty": {"routing_key": KEY, "base_url": p.url},
            "notify": {"dashboard_url": "https://marketloop.example.com/"},
        }
        yield slack, pagerduty, load_settings(overrides=overrides)


def _runs(store: Store, *runs: tuple[str, str]) -> None:
    for run_id, status in runs:
        store.create_run(run_id, "weekly", "schedule", {}, [("audit", "audit")])
        store.move_run(run_id, "running")
        store.move_run(run_id, status, reason=HOSTILE)


def _notify(settings: Settings, channel: str) -> dict[str, object]:
    action = get_action("notify")
    context = ActionContext(settings, run_id="watch-1", step="notify")
    return dict(action.run(context, action.args.model_validate({"channel": channel})).facts)


def test_failed_runs_are_told_once_per_channel(
    env: tuple[SlackFake, PagerDutyFake, Settings],
) -> None:
    slack, pagerduty, settings = env
    _runs(Store(app_db_url(settings)), ("r1", "failed"), ("r2", "failed"))
    for channel in ("slack:#aiml-delivery", "pagerduty:AIML-Auto"):
        assert _notify(settings, channel) == {"sent": 2, "resolved": 0}
        assert _notify(settings, channel) == {"sent": 0, "resolved": 0}  # nothing twice
    assert len(slack.messages) == 2 and pagerduty.pages == 2
    text = slack.messages[0]["text"]
    assert "https://marketloop.example.com/runs/r" in text  # the run link
    # Slack formats `text`: a mention or a tag in outside text is escaped, never live
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;@U0ALEX&gt;" in text
    assert "&lt;b&gt;or&lt;/b&gt;" in text and "\r" not in text
    assert slack.messages[0]["blocks"][0]["text"]["type"] == "plain_text"
    rows = Deliveries(app_db_url(settings)).delivered(None, key_prefix="run-")
    assert sorted((r.key, r.channel.split(":")[0]) for r in rows) == [
        ("run-r1", "pagerduty"), ("run-r1", "slack"), ("run-r2", "pagerduty"), ("run-r2", "slack")
    ]  # fmt: skip
    assert {r.detail for r in rows if r.channel.startswith("pagerduty")} == {"run-r1", "run-r2"}


def test_a_page_is_resolved_when_its_loop_recovers(
    env: tuple[SlackFake, PagerDutyFake, Settings],
) -> None:
    _, pagerduty, settings = env
    store = Store(app_db_url(settings))
    _runs(store, ("r1", "failed"))
    assert _notify(settings, "pagerduty:AIML-Auto") == {"sent": 1, "resolved": 0}
    assert pagerduty.incidents == {"run-r1": "triggered"}
    _runs(store, ("r2", "succeeded"))
    assert _notify(settings, "pagerduty:AIML-Auto") == {"sent": 0, "resolved": 1}
    assert pagerduty.incidents == {"run-r1": "resolved"}
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "resolve"]
    assert _notify(settings, "pagerduty:AIML-Auto") == {"sent": 0, "resolved": 0}  # once
