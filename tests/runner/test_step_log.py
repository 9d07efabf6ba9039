"""A step's log costs no file system work on the step's way (observe/steplog.py): the runner's
own lines wait in memory until a line of the step itself, the first heartbeat, or the end's
record, and are written then, in order, even when recording the end fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from pydantic import BaseModel

from marketloop.actions import Action, ActionContext, ActionResult
from marketloop.config import Settings
from marketloop.observe import steplog
from marketloop.observe.logging import configure_logging
from marketloop.runner import engine, service, settle
from marketloop.runner.heartbeat import Heartbeats
from marketloop.runner.model import Loop, Step
from marketloop.workspace import Workspace

HOSTILE = "<script>alert(1)</script> \"'& =SUM(1) [red]x[/red]\x1b[31m"
log = structlog.get_logger("marketloop.test")


@pytest.fixture(autouse=True)
def logging_on() -> Iterator[None]:
    configure_logging("warning", "console")  # as every CLI command and worker does
    yield
    configure_logging("warning", "console")


def test_the_runners_lines_wait_and_keep_their_order(tmp_path: Path) -> None:
    path = steplog.log_path(tmp_path, "run-1", "fetch")
    with steplog.capture(tmp_path, "run-1", "fetch", hold=True) as step_log:
        with steplog.later():
            log.info("step started", attempt=1)
        assert not path.parent.exists()  # nothing written, no folder made
        log.info("fetched", title=HOSTILE)  # the step's own line: written at once
        assert path.is_file()
        with steplog.later():
            log.info("step finished", status="succeeded")  # the file is open: at once too
    step_log.close()
    lines = path.read_text("utf-8").splitlines()
    assert [line.split()[2] for line in lines] == ["step", "fetched", "step"]
    assert "started" in lines[0] and "finished" in lines[2] and "<script>alert(1)" in lines[1]


def test_waiting_lines_are_written_at_close_and_an_empty_log_is_made(tmp_path: Path) -> None:
    with steplog.capture(tmp_path, "run-1", "quiet", hold=True) as quiet:
        pass
    with steplog.capture(tmp_path, "run-1", "waits", hold=True) as waits, steplog.later():
        log.warning("step failed", error=HOSTILE)
    assert not (tmp_path / "logs").exists()
    quiet.close()
    waits.close()
    waits.close()  # twice: nothing more
    assert steplog.tail(tmp_path, "run-1", "quiet") == ""
    text = steplog.tail(tmp_path, "run-1", "waits")
    assert text is not None and text.count("step failed") == 1 and "<script>alert(1)" in text


def test_the_first_heartbeat_writes_what_waited(tmp_path: Path) -> None:
    """A long step's log shows (and survives a kill -9) from its first heartbeat on."""
    beats = Heartbeats()
    store: Any = SimpleNamespace(
        heartbeat=lambda keys: None, run=lambda run_id: SimpleNamespace(status="running")
    )
    with steplog.capture(tmp_path, "run-1", "long", hold=True) as step_log:
        with steplog.later():
            log.info("step started", attempt=1)
        beats.watch(store, ("run-1", "long", 1), threading.Event(), 0.05, step_log)
        deadline = time.monotonic() + 10
        while steplog.tail(tmp_path, "run-1", "long") is None and time.monotonic() < deadline:
            time.sleep(0.02)
        beats.forget(("run-1", "long", 1))
        text = steplog.tail(tmp_path, "run-1", "long")
        assert text is not None and "step started" in text  # before the step has ended
    step_log.close()


def test_a_step_log_is_written_even_when_its_end_cannot_be_recorded(
    settings: Settings, make_loop: Callable[..., Loop], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = make_loop("  a: {action: noop}\n")
    run = service.start_run(settings, loop)  # queued: no worker takes it here
    store = service.store_for(settings)
    finish = engine.execute(settings, store, run.run_id, "a", "test-worker")
    assert finish is not None and finish.status == "succeeded"
    root = Workspace(settings.workspace).root
    assert steplog.tail(root, run.run_id, "a") is None  # the runner's lines still wait

    def away(*_: Any, **__: Any) -> Any:
        raise ConnectionError("the app database went away")

    monkeypatch.setattr(engine, "settle", away)
    monkeypatch.setattr(engine, "end_alone", away)  # PostgreSQL: a run's last step ends alone
    with pytest.raises(ConnectionError):
        engine.advance(store, run.run_id, finish=finish)
    text = steplog.tail(root, run.run_id, "a")
    assert text is not None and "step started" in text and "step finished" in text
    monkeypatch.setattr(engine, "settle", settle.settle)
    monkeypatch.setattr(engine, "end_alone", settle.end_alone)
    engine.advance(store, run.run_id, finish=finish)  # recorded once the database is back
    assert service.get_run(settings, run.run_id).status == "succeeded"


class _Nothing(BaseModel):
    pass


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_a_steps_own_lines_reach_its_log_with_or_without_a_timeout(
    tmp_path: Path, timeout: float | None
) -> None:
    """A step with a `timeout` runs in a thread of its own: its lines must still reach the
    step's log and carry run_id and step (the thread runs in a copy of the step's context)."""

    seen: list[dict[str, Any]] = []

    def speak(context: ActionContext, args: Any) -> ActionResult:
        seen.append(structlog.contextvars.get_contextvars())
        log.warning("from the step", title=HOSTILE)
        return ActionResult(summary="said")

    action = Action("test.speak", _Nothing, speak, "logs one line")
    step = Step.model_validate({"action": "test.speak", "timeout": timeout})
    context = ActionContext(Settings(workspace=tmp_path), "run-9", "speak")
    bound = structlog.contextvars.bound_contextvars(run_id="run-9", step="speak")
    with bound, steplog.capture(tmp_path, "run-9", "speak", hold=True) as step_log:
        assert engine._call(action, context, step).summary == "said"
    step_log.close()
    text = steplog.log_path(tmp_path, "run-9", "speak").read_text("utf-8")
    assert "from the step" in text and "<script>alert(1)" in text
    assert seen == [{"run_id": "run-9", "step": "speak"}]


def test_an_attempt_beats_until_its_end_is_recorded(
    settings: Settings, make_loop: Callable[..., Loop]
) -> None:
    """A sweeper takes over a running step silent for a lease: a step that has finished but
    whose end waits (a busy database, a loaded machine) must go on beating, or it runs twice."""
    loop = make_loop("  a: {action: noop}\n")
    run = service.start_run(settings, loop)  # queued: no worker takes it here
    store = service.store_for(settings)
    finish = engine.execute(settings, store, run.run_id, "a", "test-worker")
    assert finish is not None
    ended = store.step(run.run_id, "a").heartbeat_at
    time.sleep(settings.runner.heartbeat * 3)  # the end is not recorded yet
    beat = store.step(run.run_id, "a").heartbeat_at
    assert beat is not None and ended is not None and beat > ended
    engine.advance(store, run.run_id, finish=finish)
    assert service.get_run(settings, run.run_id).status == "succeeded"
    quiet = store.step(run.run_id, "a").heartbeat_at
    time.sleep(settings.runner.heartbeat * 3)  # recorded: no more beats
    assert store.step(run.run_id, "a").heartbeat_at == quiet
