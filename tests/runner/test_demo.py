"""`marketloop loop demo` (what `make demo` runs): the demo loop through the runner, offline,
and again: what was done is not done twice (crawl finished, pages updated in place, webhook
events not sent again, escalations not sent again)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from tests.runner.workers import Config, wait_for

from marketloop.config import Settings, load_settings
from marketloop.runner import service
from marketloop.runner.demo import demo_environment, demo_loop_path
from marketloop.runner.loopfile import load_loop


@pytest.mark.slow
def test_the_demo_loop_runs_offline_and_again(tmp_path: Path) -> None:
    settings = load_settings(None, {"workspace": tmp_path / "ws"})
    with demo_environment(settings) as env:
        demo = env.settings
        loop = load_loop(demo_loop_path())
        first = service.start_run(demo, loop, inline=True)
        assert first.status == "succeeded", [(s.name, s.status, s.error) for s in first.steps]
        steps = {s.name: s for s in first.steps}
        assert steps["quality"].gate == {"result": "pass", "reason": "data quality pass"}
        assert steps["eval"].gate is not None and steps["eval"].gate["result"] == "pass"
        assert steps["crawl"].outputs["crawl dataset"].endswith(first.run_id)
        assert "created" in (steps["publish"].summary or "")
        assert "created" in (steps["tickets"].summary or ""), steps["tickets"]
        tickets = service.start_run(demo, loop, "tickets", inline=True).steps[0]
        assert "created" not in (tickets.summary or "") and "unchanged" in (tickets.summary or "")
        again = service.start_run(demo, loop, "publish", inline=True)
        assert again.steps[0].status == "succeeded"
        assert "created" not in (again.steps[0].summary or "")  # updated in place
        hooks = service.start_run(demo, loop, "zapier", inline=True).steps[0]
        assert "already sent" in (hooks.summary or ""), hooks
        first_escalations = steps["escalations"]
        assert first_escalations.summary and "0 sent now" not in first_escalations.summary
        assert len(env.slack.messages) >= 1  # on the plan's own Slack channel, via the fake
        escalations = service.start_run(demo, loop, "escalations", inline=True).steps[0]
        assert escalations.summary and escalations.summary.endswith("0 sent now")


def _started(settings: Settings, run_id: str, step: str, ws: Path) -> bool:
    row = {s.name: s for s in service.get_run(settings, run_id).steps}[step]
    if row.status != "running":
        return False
    if step == "crawl":  # the crawl's dataset has begun to fill
        return any((d / "manifest.json").is_file() for d in (ws / "crawls").glob(f"*{run_id}"))
    if step == "briefs":  # some briefs are written, others not yet
        return any(not p.name.startswith("_") for p in (ws / "briefs").glob("*.json"))
    return True


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["crawl", "ingest-gsc", "briefs", "publish"])
def test_kill_9_anywhere_in_the_demo_loop_loses_nothing_and_does_nothing_twice(
    tmp_path: Path, kill_at: str
) -> None:
    config = Config(tmp_path / "ws", lease=5.0)  # dbt and the crawl load a busy machine
    config.workspace.mkdir()
    try:
        with demo_environment(config.settings()) as demo:
            config.extra = demo.env
            run = service.start_run(demo.settings, load_loop(demo_loop_path()))
            victim = config.start_worker("--threads", "1")
            wait_for(
                lambda: _started(demo.settings, run.run_id, kill_at, config.workspace),
                timeout=120,
                what=f"{kill_at} under way",
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            config.start_worker("--threads", "2")
            done = service.wait_run(demo.settings, run.run_id, timeout=300)
            steps = {s.name: s for s in done.steps}
            problems = [(s.name, s.status, s.error) for s in done.steps if s.status != "succeeded"]
            assert done.status == "succeeded", problems
            assert steps[kill_at].attempts == 2
            folder = config.workspace / "briefs"
            briefs = sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith("_"))
            pages = [p for s in demo.notion.sources for p in demo.notion.pages_in(s)]
            assert len(pages) == len(briefs)  # one page per brief: none published twice
            event_ids = [e["id"] for e in demo.receiver.events]
            assert len(event_ids) == len(set(event_ids)) == len(briefs)
            crawls = list((config.workspace / "crawls").glob(f"*{run.run_id}"))
            assert len(crawls) == 1  # the crawl resumed in its folder, not started over
    finally:
        config.stop_all()
