"""Inline runs (`loop run --inline`): statuses, retries, gates, approval, cancel, history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from marketloop.config import Settings
from marketloop.errors import RunnerError, UsageError
from marketloop.runner import service
from marketloop.runner.model import Loop

MakeLoop = Callable[..., Loop]


def statuses(run: service.RunView) -> dict[str, str]:
    return {step.name: step.status for step in run.steps}


def test_a_loop_runs_in_order(settings: Settings, make_loop: MakeLoop, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    loop = make_loop(
        f"  b: {{action: noop, needs: [a], with: {{log: '{log}'}}}}\n"
        f"  a: {{action: noop, with: {{log: '{log}'}}}}\n"
        f"  c: {{action: noop, needs: [a, b], with: {{log: '{log}'}}}}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    assert run.status == "succeeded"
    assert statuses(run) == {"b": "succeeded", "a": "succeeded", "c": "succeeded"}
    order = [line.split()[2] for line in log.read_text().splitlines() if line.startswith("end")]
    assert order == ["a", "b", "c"]
    assert run.steps[1].outputs == {"log": str(log)}
    assert all(s.started_at and s.finished_at and s.attempts == 1 for s in run.steps)
    assert service.get_run(settings, run.run_id) == run


def test_transient_errors_are_retried_terminal_ones_are_not(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop(
        "  flaky: {action: noop, with: {fail: transient, fail_attempts: 2}, retries: 2, "
        "backoff: 0.01}\n"
        "  broken: {action: noop, with: {fail: terminal}, retries: 3}\n"
        "  hopeless: {action: noop, with: {fail: transient}, retries: 1, backoff: 0.01}\n"
        "  after: {action: noop, needs: [broken]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    steps = {s.name: s for s in run.steps}
    assert (steps["flaky"].status, steps["flaky"].attempts) == ("succeeded", 3)
    assert (steps["broken"].status, steps["broken"].attempts) == ("failed", 1)
    assert (steps["hopeless"].status, steps["hopeless"].attempts) == ("failed", 2)
    assert steps["after"].status == "skipped"
    assert "needs broken" in (steps["after"].error or "")
    assert run.status == "failed"
    assert run.reason and "broken: noop broken failed" in run.reason


def test_a_failing_gate_skips_everything_downstream(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop(
        "  audit: {action: noop, with: {ok: false}, gate: {require_ok: true}}\n"
        "  tickets: {action: noop, needs: [audit]}\n"
        "  notify: {action: noop, needs: [tickets]}\n"
        "  other: {action: noop}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    assert statuses(run) == {
        "audit": "failed",
        "tickets": "skipped",
        "notify": "skipped",
        "other": "succeeded",
    }
    assert run.steps[0].gate == {
        "result": "fail",
        "reason": "noop was told to fail its gate (ok: false)",
    }
    assert run.status == "failed" and "audit" in (run.reason or "")


def test_a_quality_gate_skips_only_warehouse_readers(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop(
        "  ingest: {action: noop.write}\n"
        "  quality: {action: noop.check, needs: [ingest], with: {ok: false}}\n"
        "  keywords: {action: noop.read, needs: [quality]}\n"
        "  briefs: {action: noop, needs: [keywords]}\n"
        "  memo: {action: noop, needs: [quality]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    assert statuses(run) == {
        "ingest": "succeeded",
        "quality": "failed",
        "keywords": "skipped",
        "briefs": "skipped",
        "memo": "succeeded",
    }
    assert run.status == "failed"
    assert run.reason and run.reason.startswith("quality: ")


def test_a_failed_quality_gate_skips_every_stage_action_that_reads_the_warehouse(
    settings: Settings, make_loop: MakeLoop
) -> None:
    """The real actions, each right after the gate: the audit and tickets rank issues by the
    pages' GA4/GSC values, briefs turn the decaying pages into update briefs, keywords read
    Search Console; none of them may run on data the gate refused."""
    loop = make_loop(
        "  quality: {action: noop.check, with: {ok: false}}\n"
        "  audit: {action: audit, needs: [quality]}\n"
        "  tickets: {action: tickets, needs: [quality], with: {dry_run: true}}\n"
        "  briefs: {action: briefs.generate, needs: [quality]}\n"
        "  cluster: {action: keywords.cluster, needs: [quality], with: {file: k.csv}}\n"
        "  gaps: {action: keywords.gaps, needs: [quality], with: {file: k.csv}}\n"
        "  after: {action: noop, needs: [quality]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    found = statuses(run)
    assert found.pop("quality") == "failed" and found.pop("after") == "succeeded"
    assert set(found.values()) == {"skipped"}, found


def test_a_passing_gate_lets_the_run_go_on(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop(
        "  quality: {action: noop.check}\n  keywords: {action: noop.read, needs: [quality]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    assert run.status == "succeeded"
    assert run.steps[0].gate == {"result": "pass", "reason": "ok"}


def test_manual_approval_holds_a_step_until_approved(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop(
        "  eval: {action: noop}\n  publish: {action: noop, needs: [eval], gate: manual}\n"
        "  after: {action: noop, needs: [publish]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    assert run.status == "running"
    assert statuses(run) == {"eval": "succeeded", "publish": "waiting_approval", "after": "pending"}
    with pytest.raises(RunnerError, match="not waiting_approval"):
        service.approve_step(settings, run.run_id, "eval", inline=True)
    run = service.approve_step(settings, run.run_id, "publish", by="ada", inline=True)
    assert run.status == "succeeded"
    assert statuses(run)["after"] == "succeeded"


def test_cancel_a_run_waiting_for_approval(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop(
        "  publish: {action: noop, gate: manual}\n  b: {action: noop, needs: [publish]}\n"
    )
    run = service.start_run(settings, loop, inline=True)
    run = service.cancel_run(settings, run.run_id)
    assert run.status == "cancelled"
    assert statuses(run) == {"publish": "cancelled", "b": "cancelled"}
    with pytest.raises(RunnerError, match="already cancelled"):
        service.cancel_run(settings, run.run_id)


def test_a_step_over_its_timeout_fails(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop("  slow: {action: noop, with: {seconds: 5}, timeout: 0.2}\n")
    run = service.start_run(settings, loop, inline=True)
    assert run.status == "failed"
    assert "timed out after 0.2 s" in (run.steps[0].error or "")


def test_one_step_runs_again_on_its_own(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop("  a: {action: noop}\n  b: {action: noop, needs: [a]}\n")
    service.start_run(settings, loop, inline=True)
    again = service.start_run(settings, loop, "b", inline=True)
    assert [s.name for s in again.steps] == ["b"]
    assert (again.status, again.trigger) == ("succeeded", "step")
    with pytest.raises(UsageError, match="no step 'zz'"):
        service.start_run(settings, loop, "zz", inline=True)


def test_a_failed_step_keeps_the_outputs_before_it_and_runs_again_alone(
    settings: Settings, make_loop: MakeLoop, tmp_path: Path
) -> None:
    log = tmp_path / "a.log"
    a = f"  a: {{action: noop, with: {{log: '{log}'}}}}\n"
    failed = service.start_run(
        settings, make_loop(a + "  b: {action: noop, needs: [a], with: {fail: terminal}}\n"),
        inline=True,
    )  # fmt: skip
    assert failed.status == "failed" and failed.steps[0].outputs == {"log": str(log)}
    fixed = make_loop(a + "  b: {action: noop, needs: [a]}\n")
    again = service.start_run(settings, fixed, "b", inline=True)
    assert [(s.name, s.status) for s in again.steps] == [("b", "succeeded")]
    assert log.read_text().count("end ") == 1  # a did not run again
    kept = service.get_run(settings, failed.run_id)
    assert kept.steps[0].outputs == {"log": str(log)} and kept.status == "failed"


def test_an_ingest_file_step_loads_hostile_rows_and_readers_see_them(
    settings: Settings, make_loop: MakeLoop, tmp_path: Path
) -> None:
    """`ingest.file` (no other test ran it as a step): it takes the warehouse lock, loads the
    file, and the read copy a reader opens has the rows (values are data, not markup)."""
    import duckdb

    from marketloop.quality.readcopy import for_reading, warehouse_file

    data = tmp_path / "kw.csv"
    hostile = "<script>x</script> [/] =SUM(1) \"'&"
    data.write_text(f'keyword,volume\n"{hostile.replace(chr(34), chr(34) * 2)}",10\nb,2\n')
    loop = make_loop(f"  load: {{action: ingest.file, with: {{path: '{data}', table: kw}}}}\n")
    run = service.start_run(settings, loop, inline=True)
    assert run.status == "succeeded", run.steps[0].error
    assert run.steps[0].summary and run.steps[0].summary.startswith("2 rows")
    with duckdb.connect(str(for_reading(warehouse_file(settings))), read_only=True) as db:
        rows = db.execute("select keyword, volume from files.kw order by volume desc").fetchall()
    assert rows == [(hostile, 10), ("b", 2)]


def test_history_pages_newest_first(settings: Settings, make_loop: MakeLoop) -> None:
    ids = [
        service.start_run(settings, make_loop("  a: {action: noop}\n", name=n), inline=True).run_id
        for n in ("one", "two", "one")
    ]
    page = service.list_runs(settings, limit=2)
    assert [r.run_id for r in page.data] == ids[::-1][:2] and page.has_more
    rest = service.list_runs(settings, limit=2, starting_after=page.data[-1].run_id)
    assert [r.run_id for r in rest.data] == [ids[0]] and not rest.has_more
    assert [r.run_id for r in service.list_runs(settings, loop="two").data] == [ids[1]]
    with pytest.raises(RunnerError, match="no run nope"):
        service.get_run(settings, "nope")


def test_the_warehouse_lock_is_held_by_writers(settings: Settings, make_loop: MakeLoop) -> None:
    import fcntl

    from marketloop.workspace import Workspace

    root = Workspace(settings.workspace).ensure().root
    loop = make_loop("  w: {action: noop.write, timeout: 0.5}\n")
    with (root / "warehouse.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        run = service.start_run(settings, loop, inline=True)
    assert run.status == "failed" and "timed out" in (run.steps[0].error or "")
    assert service.start_run(settings, loop, inline=True).status == "succeeded"


def test_cancelling_stops_a_running_step(settings: Settings, make_loop: MakeLoop) -> None:
    import threading
    import time

    loop = make_loop(
        "  slow: {action: noop, with: {seconds: 30}}\n  b: {action: noop, needs: [slow]}\n"
    )
    done: list[service.RunView] = []
    thread = threading.Thread(
        target=lambda: done.append(service.start_run(settings, loop, inline=True))
    )
    started = time.monotonic()
    thread.start()
    while (
        not service.list_runs(settings).data
        or service.latest_run(settings).steps[0].status != "running"
    ):
        time.sleep(0.02)
    service.cancel_run(settings, service.latest_run(settings).run_id)
    thread.join(10)
    assert time.monotonic() - started < 10
    run = service.get_run(settings, done[0].run_id)
    assert run.status == "cancelled"
    assert [s.status for s in run.steps] == ["cancelled", "cancelled"]


def test_run_ids_started_in_the_same_second_do_not_collide() -> None:
    """A few hundred runs a second is what two Redis workers drain; 20,000 ids made in a burst
    collided about a dozen times with 24 random bits (the run's INSERT then failed)."""
    ids = [service.new_run_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("run-") and len(i) <= 80 for i in ids)  # shown whole in errors
