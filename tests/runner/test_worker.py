"""Queued runs on real worker processes, in both configurations: SQLite app database + Huey
on SQLite, and PostgreSQL + Huey on Redis. Workers are killed with SIGKILL at chosen events
(a step recorded as running, a step's output appearing) and the run still ends with every step
done once."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runner.workers import Config, wait_for

from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop
from marketloop.runner.store import Store


@pytest.fixture(
    params=["sqlite", pytest.param("scaled", marks=[pytest.mark.postgres, pytest.mark.redis])]
)
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Config]:
    if request.param == "sqlite":
        made = Config(tmp_path / "ws")
    else:
        made = Config(
            tmp_path / "ws",
            app_db_url=request.getfixturevalue("postgres_url"),
            queue=request.getfixturevalue("redis_url"),
        )
    made.workspace.mkdir(parents=True)
    try:
        yield made
    finally:
        made.stop_all()


def loop_text(log: Path, seconds: float = 0.3) -> str:
    step = f"action: noop, with: {{seconds: {seconds}, log: '{log}'}}"
    return (
        "name: killme\nsteps:\n"
        f"  first: {{{step}}}\n"
        f"  second: {{{step}, needs: [first]}}\n"
        f"  third: {{{step}, needs: [first]}}\n"
        f"  last: {{{step}, needs: [second, third]}}\n"
    )


def test_a_worker_runs_a_queued_run(config: Config, tmp_path: Path) -> None:
    settings = config.settings()
    loop = parse_loop(loop_text(tmp_path / "log.txt", 0.05))
    run = service.start_run(settings, loop)
    assert run.status == "queued"
    assert {s.status for s in run.steps} == {"pending"}
    config.start_worker("--threads", "2")
    done = service.wait_run(settings, run.run_id, timeout=60)
    assert done.status == "succeeded", done
    assert [s.attempts for s in done.steps] == [1, 1, 1, 1]


def _step_running(config: Config, run_id: str, name: str) -> bool:
    return Store(_url(config)).step(run_id, name).status == "running"


def _url(config: Config) -> str:
    from marketloop.config import app_db_url

    return app_db_url(config.settings())


@pytest.mark.parametrize("kill_at", ["first running", "second started", "last running"])
def test_kill_9_mid_step_runs_it_again_once(config: Config, tmp_path: Path, kill_at: str) -> None:
    log = tmp_path / "log.txt"
    settings = config.settings()
    run = service.start_run(settings, parse_loop(loop_text(log, 0.6)))
    victim = config.start_worker("--threads", "1")
    step = kill_at.split(maxsplit=1)[0]
    if kill_at.endswith("running"):  # the step's start is recorded in the app database
        wait_for(lambda: _step_running(config, run.run_id, step), what=kill_at)
    else:  # the step's own output has appeared: it is half done
        wait_for(lambda: log.is_file() and f" {step} " in log.read_text(), what=kill_at)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert service.get_run(settings, run.run_id).status == "running"
    config.start_worker("--threads", "2")
    done = service.wait_run(settings, run.run_id, timeout=90)
    assert done.status == "succeeded", done
    lines = log.read_text().splitlines()
    for name in ("first", "second", "third", "last"):
        ends = [line for line in lines if line.startswith(f"end {run.run_id} {name} ")]
        assert len(ends) == 1, (name, lines)  # done once
    killed = next(s for s in done.steps if s.name == step)
    assert killed.attempts == 2
    assert f"start {run.run_id} {step} 2" in lines  # ran again after the kill
    if kill_at.endswith("started"):
        assert f"start {run.run_id} {step} 1" in lines


def test_one_step_of_the_latest_run_runs_again(config: Config, tmp_path: Path) -> None:
    settings = config.settings()
    loop = parse_loop(loop_text(tmp_path / "log.txt", 0.0))
    config.start_worker()
    first = service.wait_run(settings, service.start_run(settings, loop).run_id, timeout=60)
    again = service.wait_run(
        settings, service.start_run(settings, loop, "third").run_id, timeout=60
    )
    assert (first.status, again.status) == ("succeeded", "succeeded")
    assert [s.name for s in again.steps] == ["third"]


@pytest.mark.redis
@pytest.mark.postgres
def test_two_workers_share_one_redis_queue(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    config = Config(tmp_path / "ws", app_db_url=postgres_url, queue=redis_url)
    config.workspace.mkdir(parents=True)
    try:
        settings = config.settings()
        steps = "".join(f"  s{i}: {{action: noop, with: {{seconds: 0.4}}}}\n" for i in range(8))
        run = service.start_run(settings, parse_loop("name: wide\nsteps:\n" + steps))
        config.start_worker("--threads", "1")
        config.start_worker("--threads", "1")
        done = service.wait_run(settings, run.run_id, timeout=60)
        assert done.status == "succeeded"
        workers = {row.worker for row in Store(postgres_url).steps(run.run_id)}
        assert len(workers) == 2, workers
    finally:
        config.stop_all()


def test_loop_run_wait_follows_a_queued_run_and_exits_1_when_it_failed(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`loop run --wait` on a worker: the steps' changes on stderr as they happen, the ended
    run's object on stdout (JSON), exit 1 for a failed run and 0 for a run that succeeded."""
    import json

    from tests.support.cli import run

    for key, value in config.env().items():
        if key.startswith("MARKETLOOP_"):
            monkeypatch.setenv(key, value)
    path = tmp_path / "w.yaml"
    path.write_text(
        "name: w\nsteps:\n  a: {action: noop, with: {seconds: 0.2}}\n"
        "  b: {action: noop, needs: [a], with: {fail: terminal}}\n  c: {action: noop, needs: [b]}\n"
    )
    config.start_worker()
    code, out, err = run("loop", "run", str(path), "--wait", "-f", "json")
    ended = json.loads(out)
    assert code == 1, err
    assert ended["status"] == "failed" and "b: noop b failed" in ended["reason"]
    assert [(s["name"], s["status"]) for s in ended["steps"]] == [
        ("a", "succeeded"), ("b", "failed"), ("c", "skipped"),
    ]  # fmt: skip
    assert "waiting for a worker" in err and "  a: succeeded" in err and "  c: skipped" in err
    path.write_text("name: w\nsteps:\n  a: {action: noop}\n")
    code, out, err = run("loop", "run", str(path), "--wait", "-f", "json")
    assert code == 0 and json.loads(out)["status"] == "succeeded", err
