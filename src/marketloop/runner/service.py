"""The runner's service functions: what the CLI, the API and the dashboard all call.

    run = start_run(settings, load_loop(path))             queued (a worker runs it)
    run = start_run(settings, loop, inline=True)           run here; returns when it ends
    run = start_run(settings, loop, step="audit")          a new run of one step of the loop
    run = get_run(settings, run_id)                        RunView (JSON: run.model_dump())
    page = list_runs(settings, loop="weekly", limit=20, starting_after=run_id)
    run = cancel_run(settings, run_id)
    run = approve_step(settings, run_id, "publish", by="ada@example.com")

Every function returns a `RunView` (or a `RunPage` of them), the JSON shape of the API and of
`--format json`: run_id, loop, status, reason, steps [name, action, status, attempts,
started_at, finished_at, outputs, gate, error, summary].
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from marketloop.config import Settings, app_db_url
from marketloop.errors import RunnerError, UsageError
from marketloop.runner import engine
from marketloop.runner.model import Loop
from marketloop.runner.settle import new_rows
from marketloop.runner.states import RUN_DONE
from marketloop.runner.store import Store, aware, now
from marketloop.runner.tables import RunRow, StepRow


class RunStateError(RunnerError):
    """The run or step is not in a state that allows this (cancel a finished run, approve a
    step that does not wait): the request conflicts with the run's state."""

    http_status = 409


class StepView(BaseModel):
    name: str
    action: str
    status: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    outputs: dict[str, str]
    gate: dict[str, Any] | None
    error: str | None
    summary: str | None


class RunView(BaseModel):
    run_id: str
    loop: str
    status: str
    trigger: str
    reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    steps: list[StepView]

    @property
    def done(self) -> bool:
        return self.status in RUN_DONE


class RunPage(BaseModel):
    data: list[RunView]
    has_more: bool


def store_for(settings: Settings) -> Store:
    return Store(app_db_url(settings))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def new_run_id() -> str:
    """`run-20261207-090000-3fa2b1c4d5`: sortable by the second it started, then 40 random bits
    (6 hex digits collided within a second at a few hundred runs a second)."""
    return f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(5)}"


def start_run(
    settings: Settings,
    loop: Loop,
    step: str | None = None,
    *,
    inline: bool = False,
    trigger: str | None = None,
) -> RunView:
    """Record a run of `loop` (or of its one `step`), then run it here or hand it to the queue."""
    if step is not None and step not in loop.steps:
        raise UsageError(
            f"loop {loop.name} has no step {step!r}", hint="steps: " + ", ".join(loop.steps)
        )
    store = store_for(settings)
    dispatcher = None if inline else _dispatcher(settings, store)  # refuse before recording
    names = [step] if step else list(loop.steps)
    run_id = new_run_id()
    created = engine.NewRun(
        run_id,
        loop.name,
        trigger or ("step" if step else "manual"),
        loop.model_dump(mode="json", by_alias=True),
        [(n, loop.steps[n].action) for n in names],
        now(),
    )
    engine.remember(run_id, loop)
    if inline:
        engine.advance(store, run_id, create=created, loop=loop)
        run_inline(settings, store, run_id)
        return _view(*store.snapshot(run_id))
    assert dispatcher is not None
    following = dispatcher.advance(run_id, create=created, loop=loop)
    # as queued: the rows just written (no read back, which would only race the worker)
    row, steps = new_rows(created, following.moves)
    return _view(RunRow(**row), [StepRow(**values) for values in steps.values()])


def run_inline(settings: Settings, store: Store, run_id: str) -> None:
    """Run the run's steps in this process, one at a time, until it ends or waits for a person;
    each step's end is recorded with the run's next moves (engine.advance)."""
    worker, finish = worker_name(), None
    while True:
        step = engine.advance(store, run_id, finish=finish)
        finish = None
        if step.ready:
            finish = engine.execute(settings, store, run_id, step.ready[0], worker)
        elif step.later:
            time.sleep(min(step.later.values()))
        elif not step.done and any(s.status == "running" for s in store.steps(run_id)):
            time.sleep(0.2)  # a worker sharing this database took a step: wait for it
        else:
            return


def get_run(settings: Settings, run_id: str) -> RunView:
    return _view(*store_for(settings).snapshot(run_id))


def list_runs(
    settings: Settings,
    loop: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
    status: str | None = None,
) -> RunPage:
    """Newest first; page with `starting_after` (the last run id of the previous page)."""
    if not 1 <= limit <= 100:
        raise UsageError(f"limit must be between 1 and 100, not {limit}")
    store = store_for(settings)
    rows, more = store.runs(loop, limit, starting_after, status)
    return RunPage(data=[_view(row, store.steps(row.id)) for row in rows], has_more=more)


def latest_run(settings: Settings, loop: str | None = None) -> RunView:
    page = list_runs(settings, loop, limit=1)
    if not page.data:
        raise RunnerError("no runs yet", hint="start one with `marketloop loop run FILE`")
    return page.data[0]


def cancel_run(settings: Settings, run_id: str) -> RunView:
    """Cancel a queued or running run: its waiting steps are cancelled; a running step is told
    to stop and is recorded as cancelled when it returns."""
    store = store_for(settings)
    run = store.run(run_id)
    if run.status in RUN_DONE:
        raise RunStateError(f"run {run_id} already {run.status}; nothing to cancel")
    store.move_run(run_id, "cancelled", reason="cancelled by a person")
    for row in store.steps(run_id):
        if row.status in ("pending", "waiting_approval"):
            store.move_step(run_id, row.name, "cancelled", finished_at=now())
    return get_run(settings, run_id)


def approve_step(
    settings: Settings, run_id: str, step: str, by: str = "cli", *, inline: bool = False
) -> RunView:
    """Let a step held by `gate: manual` run (queued, or here with `inline`)."""
    store = store_for(settings)
    row = store.step(run_id, step)
    if row.status != "waiting_approval":
        raise RunStateError(f"step {step} of run {run_id} is {row.status}, not waiting_approval")
    dispatcher = None if inline else _dispatcher(settings, store)  # refuse before recording
    if not store.move_step(run_id, step, "pending", from_=["waiting_approval"], approved_by=by):
        raise RunStateError(f"step {step} of run {run_id} changed while approving; look again")
    if dispatcher is None:
        run_inline(settings, store, run_id)
    else:
        dispatcher.advance(run_id)
    return get_run(settings, run_id)


def wait_run(
    settings: Settings,
    run_id: str,
    on_change: Callable[[RunView], None] = lambda _: None,
    poll: float = 0.2,
    timeout: float | None = None,
) -> RunView:
    """Follow a run until it ends (or waits for approval); `on_change` sees every new state.
    It looks again after 10 ms, then twice as long each time nothing changed, up to `poll`:
    a short step is seen to end at once, a long one costs a read every `poll` seconds."""
    started, last = time.monotonic(), None
    quick = min(0.01, poll)
    delay = quick
    while True:
        view = get_run(settings, run_id)
        if view != last:
            on_change(view)
            last, delay = view, quick
        waiting = any(s.status == "waiting_approval" for s in view.steps) and not any(
            s.status in ("running", "pending") for s in view.steps
        )
        if view.done or waiting:
            return view
        if timeout is not None and time.monotonic() - started > timeout:
            return view
        time.sleep(delay)
        delay = min(delay * 2, poll)


def _dispatcher(settings: Settings, store: Store) -> Any:
    from marketloop.runner.queue import Dispatcher

    return Dispatcher(settings, store)


def _view(run: RunRow, steps: list[StepRow]) -> RunView:
    return RunView(
        run_id=run.id,
        loop=run.loop,
        status=run.status,
        trigger=run.trigger,
        reason=run.reason,
        created_at=aware(run.created_at),
        started_at=aware(run.started_at),
        finished_at=aware(run.finished_at),
        steps=[
            StepView(
                name=s.name,
                action=s.action,
                status=s.status,
                attempts=s.attempts,
                started_at=aware(s.started_at),
                finished_at=aware(s.finished_at),
                outputs=s.outputs or {},
                gate=s.gate,
                error=s.error,
                summary=s.summary,
            )
            for s in steps
        ],
    )
