"""`marketloop loop ...` through the real entry point: output shapes, exit statuses, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cli import run


@pytest.fixture
def loop_file(tmp_path: Path) -> Path:
    path = tmp_path / "loop.yaml"
    path.write_text(
        "name: cli\nschedule: {cron: '0 9 * * MON', timezone: America/Los_Angeles}\nsteps:\n"
        "  a: {action: noop}\n  b: {action: noop, needs: [a], gate: manual}\n"
    )
    return path


def test_check_run_status_approve_history(loop_file: Path, tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "ws")]
    code, out, _ = run("loop", "check", str(loop_file), "--format", "json", *ws)
    assert code == 0
    checked = json.loads(out)
    assert [s["step"] for s in checked["steps"]] == ["a", "b"]
    assert checked["steps"][0]["next"].endswith("09:00:00-08:00")

    code, out, _ = run("loop", "run", str(loop_file), "--inline", "-f", "json", *ws)
    started = json.loads(out)
    assert code == 0
    assert set(started) >= {"run_id", "loop", "status", "steps"}
    assert started["status"] == "running"
    step = started["steps"][1]
    assert set(step) >= {
        "name",
        "status",
        "attempts",
        "started_at",
        "finished_at",
        "outputs",
        "gate",
    }
    assert step["status"] == "waiting_approval"

    code, out, _ = run("loop", "approve", started["run_id"], "b", "--inline", "-f", "json", *ws)
    assert code == 0 and json.loads(out)["status"] == "succeeded"
    code, out, _ = run("loop", "status", "-f", "json", *ws)  # the latest run
    assert json.loads(out)["run_id"] == started["run_id"]
    code, out, _ = run("loop", "history", "--loop", "cli", "-f", "json", *ws)
    assert [r["run_id"] for r in json.loads(out)] == [started["run_id"]]


def test_a_failed_run_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "fail.yaml"
    path.write_text("name: f\nsteps:\n  a: {action: noop, with: {fail: terminal}}\n")
    code, _, err = run("loop", "run", str(path), "--inline", "-w", str(tmp_path))
    assert code == 1
    assert "failed" in err


def test_a_bad_loop_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nsteps:\n  a:\n    action: '[red]<script>x'\n")
    code, _, err = run("loop", "check", str(path))
    assert code == 2
    assert f"{path}:4: steps.a.action: unknown action '[red]<script>x'" in err.replace("\n", "")


def test_an_unreachable_redis_exits_3_with_a_hint(
    loop_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETLOOP_RUNNER_QUEUE", "redis://127.0.0.1:1/0")
    ws = tmp_path / "ws"
    code, _, err = run("loop", "run", str(loop_file), "-w", str(ws))
    assert code == 3
    assert "cannot reach the queue at redis://127.0.0.1:1/0" in err
    assert "hint:" in err and "start Redis" in err
    code, out, _ = run("loop", "history", "-f", "json", "-w", str(tmp_path / "ws"))
    assert json.loads(out) == []  # nothing recorded for a run that could not be queued
    code, out, _ = run("loop", "run", str(loop_file), "--inline", "-f", "json", "-w", str(ws))
    run_id = json.loads(out)["run_id"]  # inline: no queue; b now waits for a person
    code, _, err = run("loop", "approve", run_id, "b", "-w", str(ws))
    assert code == 3 and "cannot reach the queue" in err
    code, out, _ = run("loop", "status", run_id, "-f", "json", "-w", str(ws))
    assert json.loads(out)["steps"][1]["status"] == "waiting_approval"  # not approved in vain


def test_the_worker_refuses_a_bad_loop_file_and_an_unreachable_redis(
    loop_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both refusals come before the worker consumes anything (in process: a worker that
    started would block here until the test's timeout)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  a: {action: noop, needs: ['[/]<script>']}\n")
    ws = ["-w", str(tmp_path / "ws")]
    code, _, err = run("worker", "--loop", str(bad), *ws)
    assert code == 2 and f"{bad}:3: steps.a.needs[0]: unknown step '[/]<script>'" in err
    monkeypatch.setenv("MARKETLOOP_RUNNER_QUEUE", "redis://127.0.0.1:1/0")
    code, _, err = run("worker", "--loop", str(loop_file), "--threads", "2", *ws)
    assert code == 3 and "cannot reach the queue at redis://127.0.0.1:1/0" in err
    assert "hint: start Redis" in err


@pytest.mark.parametrize(
    "url", ["redis://:s3cret@[/]<script>:x/0", "redis://host:port[/]/0", "sqlite://queue.db"]
)
def test_a_malformed_queue_url_is_a_settings_error(
    url: str, loop_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis's URL parser raised ValueError (a traceback); now the settings refuse it."""
    monkeypatch.setenv("MARKETLOOP_RUNNER_QUEUE", url)
    code, _, err = run("loop", "run", str(loop_file), "-w", str(tmp_path / "ws"))
    assert code == 2, err
    assert "runner.queue" in err and "Traceback" not in err and "s3cret" not in err


def test_unknown_runs_and_steps_are_clear_errors(tmp_path: Path) -> None:
    ws = ["-w", str(tmp_path / "ws")]
    code, _, err = run("loop", "status", "run-nope", *ws)
    assert code == 3 and "no run run-nope" in err
    code, _, err = run("loop", "status", *ws)
    assert code == 3 and "no runs yet" in err
    code, _, err = run("loop", "approve", "run-nope'\"&", "b", *ws)
    assert code == 3 and "no run run-nope'\"&" in err and "has no step" not in err
    code, _, err = run("loop", "cancel", "run-[/]" + "x" * 5000, *ws)  # a pasted page is cut
    assert code == 3 and "no run run-[/]xxx" in err and "x" * 100 not in err
    path = tmp_path / "a.yaml"
    path.write_text("name: a\nsteps:\n  a: {action: noop}\n  b: {action: noop, gate: manual}\n")
    code, out, _ = run("loop", "run", str(path), "--inline", "-f", "json", *ws)
    run_id = json.loads(out)["run_id"]
    code, _, err = run("loop", "approve", run_id, "[/]<script>", *ws)
    assert code == 3 and "has no step '[/]<script>'" in err and "its steps: a, b" in err


def test_actions_lists_the_registry() -> None:
    code, out, _ = run("loop", "actions", "--format", "json")
    assert code == 0
    names = {row["action"] for row in json.loads(out)}
    assert {
        "crawl",
        "audit",
        "ingest.gsc",
        "quality",
        "keywords.gaps",
        "briefs.generate",
        "eval",
        "publish.notion",
        "publish.webhook",
        "plan.escalations",
    } <= names


def test_every_action_is_documented() -> None:
    from marketloop.actions import registry

    docs = (Path(__file__).resolve().parents[2] / "docs" / "runner.md").read_text()
    missing = [name for name in registry() if f"`{name}`" not in docs]
    assert not missing, f"add to docs/runner.md: {missing}"


def test_hostile_text_in_outputs_is_data(tmp_path: Path) -> None:
    folder = tmp_path / "[red]<script>&'=HYPERLINK(x)"
    folder.mkdir()
    log = folder / "log.txt"
    path = tmp_path / "h.yaml"
    path.write_text(
        f"name: h\nsteps:\n  a: {{action: noop, with: {{log: {json.dumps(str(log))}}}}}\n"
    )
    ws = ["-w", str(tmp_path / "ws")]
    code, out, _ = run("loop", "run", str(path), "--inline", "-f", "json", *ws)
    assert code == 0
    assert json.loads(out)["steps"][0]["outputs"] == {"log": str(log)}
    code, out, err = run("loop", "status", *ws)
    assert code == 0 and "Traceback" not in err
