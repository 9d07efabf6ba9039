"""The demo's escalation step after the plan step: escalations reach the fake Slack once."""

from pathlib import Path

from marketloop.clikit import console
from marketloop.config import Settings
from marketloop.demo import DemoRun
from marketloop.integrations.escalations_demo import escalations_step
from marketloop.plan.demo import run as plan_step
from marketloop.workspace import Workspace


def test_the_demo_sends_the_plans_escalations_once(tmp_path: Path) -> None:
    settings = Settings(workspace=tmp_path / "ws")
    run = DemoRun(settings, Workspace(settings.workspace).ensure())
    with run.resources, console.capture() as captured:
        plan_step(run)
        escalations_step(run)
    out = captured.get()
    assert "fake Slack at http://127.0.0.1:" in out and "each once" in out
    assert "via slack:#aiml-delivery" in out and "via pagerduty:AIML-Auto" in out
    assert "1 incidents from 1 events" in out  # the weekend blocker paged the SRE once
