"""`marketloop loop demo` (what `make demo` runs): the demo loop through the runner, offline,
and again: what was done is not done twice (crawl finished, pages updated in place, webhook
events not sent again, escalations not sent again)."""

from __future__ import annotations

import pytest

from marketloop.config import Settings
from marketloop.runner import service
from marketloop.runner.demo import demo_environment, demo_loop_path
from marketloop.runner.loopfile import load_loop


@pytest.mark.slow
def test_the_demo_loop_runs_offline_and_again(settings: Settings) -> None:
    with demo_environment(settings) as demo:
        loop = load_loop(demo_loop_path())
        first = service.start_run(demo, loop, inline=True)
        assert first.status == "succeeded", [(s.name, s.status, s.error) for s in first.steps]
        steps = {s.name: s for s in first.steps}
        assert steps["quality"].gate == {"result": "pass", "reason": "data quality pass"}
        assert steps["eval"].gate is not None and steps["eval"].gate["result"] == "pass"
        assert steps["crawl"].outputs["crawl dataset"].endswith(first.run_id)
        assert "created" in (steps["publish"].summary or "")
        again = service.start_run(demo, loop, "publish", inline=True)
        assert again.steps[0].status == "succeeded"
        assert "created" not in (again.steps[0].summary or "")  # updated in place
        hooks = service.start_run(demo, loop, "zapier", inline=True).steps[0]
        assert "already sent" in (hooks.summary or ""), hooks
        escalations = service.start_run(demo, loop, "escalations", inline=True).steps[0]
        assert escalations.summary and escalations.summary.endswith("0 sent now")
