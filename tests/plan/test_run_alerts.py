"""The loop action `notify`: failed runs told to Slack and PagerDuty once each."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketloop.actions import ActionContext, get_action
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.runner.store import Store

KEY = "R0UTINGKEY00000000000000000AIML0"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[SlackFake, PagerDutyFake, Settings]]:
    slack, pagerduty = SlackFake(), PagerDutyFake({KEY})
    with LocalServer(slack.app) as s, LocalServer(pagerduty.app) as p:
        overrides = {
            "workspace": tmp_path / "ws",
            "slack": {"token": slack.token, "base_url": s.url + "/api"},
            "pagerduty": {"routing_key": KEY, "base_url": p.url},
        }
        yield slack, pagerduty, load_settings(overrides=overrides)


def test_failed_runs_are_told_once_per_channel(
    env: tuple[SlackFake, PagerDutyFake, Settings],
) -> None:
    slack, pagerduty, settings = env
    store = Store(app_db_url(settings))
    for run_id, status in (("r1", "failed"), ("r2", "succeeded"), ("r3", "failed")):
        store.create_run(run_id, "weekly", "schedule", {}, [("audit", "audit")])
        store.move_run(run_id, "running")
        store.move_run(run_id, status, reason="audit: 3 issues at critical <b>or</b> above")
    action = get_action("notify")
    context = ActionContext(settings, run_id="watch-1", step="notify")
    for channel in ("slack:#aiml-delivery", "pagerduty:AIML-Auto"):
        args = action.args.model_validate({"channel": channel})
        assert action.run(context, args).facts == {"sent": 2}
        assert action.run(context, args).facts == {"sent": 0}  # nothing twice
    assert len(slack.messages) == 2 and "<b>or</b>" in slack.messages[0]["text"]
    assert pagerduty.pages == 2
