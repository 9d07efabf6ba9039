"""What happens next in a run (`advance`) and running one step (`execute`): the runner's core.

Both read and write rows only (see store.py, settle.py); neither knows about the queue. The
caller decides how ready steps run: in this process (`loop run --inline`) or as Huey tasks
(queue.py).

    execute(settings, store, ...) pending → running, runs the action → how it ended (`Finish`)
    advance(store, run_id, finish=...)  records the end, skips what can no longer run, holds
                                  manual gates, ends the run, in one transaction;
                                  → the steps to start now, and those waiting for a retry time
    plan(loop, status, steps, ...)     the pure part of advance: rows in, moves out
"""

from __future__ import annotations

import contextvars
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from marketloop.actions import Action, ActionContext, ActionResult, GateResult, get_action
from marketloop.config import Settings
from marketloop.errors import MarketloopError, RunnerError
from marketloop.observe import steplog
from marketloop.observe.logging import mask_secrets
from marketloop.observe.metrics import GATE_RESULTS, STEP_DURATION
from marketloop.quality.readcopy import refresh, warehouse_file, warehouse_lock
from marketloop.retry import backoff
from marketloop.runner.dag import order
from marketloop.runner.heartbeat import HEARTBEATS
from marketloop.runner.model import Loop, Step
from marketloop.runner.settle import Finish, Move, NewRun, StepState, end_alone, settle
from marketloop.runner.states import RUN_DONE, STEP_DONE

__all__ = ["Finish", "NewRun", "Next", "advance", "execute", "plan"]
from marketloop.runner.store import Store, aware, now

log = structlog.get_logger("marketloop.runner")


class StepTimeout(RunnerError):
    pass


@dataclass
class Next:
    ready: list[str] = field(default_factory=list)  # start these now
    later: dict[str, float] = field(default_factory=dict)  # retries: seconds until due
    done: bool = False  # the run has ended
    finished: bool = False  # the attempt's end (`finish`) was recorded
    moves: list[Move] = field(default_factory=list)  # the moves recorded


_loops: dict[str, Loop] = {}
_loops_lock = threading.Lock()


def loop_of(store: Store, run_id: str) -> Loop:
    """The loop a run was started with (a run's definition never changes: cached by run id)."""
    with _loops_lock:
        found = _loops.get(run_id)
    if found is None:
        found = Loop.model_validate(store.definition(run_id))
        remember(run_id, found)
    return found


def remember(run_id: str, loop: Loop) -> None:
    """Seed the cache with the loop a run was just started with (saves a read of it)."""
    with _loops_lock:
        if len(_loops) >= 512:
            _loops.pop(next(iter(_loops)))
        _loops[run_id] = loop


def advance(
    store: Store,
    run_id: str,
    *,
    redispatch_after: float | None = None,
    finish: Finish | None = None,
    create: NewRun | None = None,
    mark: bool = False,
    loop: Loop | None = None,
) -> Next:
    """Record `finish` (how an attempt ended) and move the run on, in one transaction (see
    settle.py): skip what can no longer run, hold manual gates, end the run. `mark`: the ready
    steps are recorded as enqueued (the caller hands them to the queue); `redispatch_after`
    (seconds): also return ready steps enqueued that long ago and never started (a task lost
    with its worker); `create`: insert this new run first."""
    loop = loop or loop_of(store, run_id)
    result = Next()

    def planner(status: str, steps: list[StepState]) -> list[Move]:
        return plan(loop, status, steps, result, now(), redispatch_after, mark)

    step_log = finish.log if finish is not None else None  # its lines that waited (execute)
    # the attempt beats until its end is recorded, not only while it runs: a sweeper that
    # finds it silent for a lease between the two would take it over and run it again
    beating = (run_id, finish.name, finish.attempt) if finish is not None else None
    try:
        if finish is not None and finish.last and finish.status == "succeeded" and store.postgres:
            # the run's last step: its end is one statement, its own transaction (settle.py)
            with store.autocommit.connect() as conn:
                status, result.finished = end_alone(conn, run_id, finish)
            if status in RUN_DONE:
                result.done = True
                return result
            finish = None  # recorded; the run goes on: a turn as any other
        # a new run on PostgreSQL is one INSERT (settle.insert_run): its own transaction
        one_statement = create is not None and store.postgres
        with store.autocommit.connect() if one_statement else store.engine.begin() as conn:
            finished, moves = settle(conn, run_id, planner, finish=finish, create=create)
        result.finished = result.finished or finished
    finally:
        if beating is not None:
            HEARTBEATS.forget(beating)
        if step_log is not None:
            step_log.close()
    result.moves = moves
    if mark:  # only the steps this caller marked: another caller may have won the others
        marked = {move.name for move in moves if move.new is None}
        result.ready = [name for name in result.ready if name in marked]
    return result


def plan(
    loop: Loop,
    status: str,
    steps: list[StepState],
    result: Next,
    moment: datetime,
    redispatch_after: float | None = None,
    mark: bool = False,
) -> list[Move]:
    """The moves that follow from the steps' rows (pure); fills `result` (ready, later, done)."""
    if status in RUN_DONE:
        result.done = True
        return []
    rows = {row.name: row for row in steps}
    moves: list[Move] = []
    needs = {name: loop.steps[name].needs for name in rows}
    for name in order(needs):
        row = rows[name]
        if row.status not in ("pending", "waiting_approval"):
            continue
        step = loop.steps[name]
        blocked, waiting = _needs(step, rows, loop)
        if blocked:
            values = {"error": f"skipped: {blocked}", "finished_at": moment}
            moves.append(Move(name, "skipped", values))
            row.status = "skipped"
        elif waiting:
            continue
        elif step.gate == "manual" and row.approved_by is None:
            if row.status == "pending":
                moves.append(Move(name, "waiting_approval", from_=["pending"]))
                row.status = "waiting_approval"
        elif row.status == "pending":
            due = aware(row.not_before)
            if due is not None and due > moment:
                result.later[name] = (due - moment).total_seconds()
                continue
            sent = aware(row.enqueued_at)
            stale = redispatch_after is not None and sent is not None
            if sent is None or (stale and moment - sent > timedelta(seconds=redispatch_after or 0)):
                result.ready.append(name)
                if mark:
                    moves.append(Move(name, None, {"enqueued_at": moment}, from_=["pending"]))
    if all(row.status in STEP_DONE for row in rows.values()):
        moves.append(_end(list(rows.values()), moment))
        result.done = True
    return moves


def _needs(step: Step, rows: dict[str, StepState], loop: Loop) -> tuple[str | None, bool]:
    """(why the step can no longer run, or None; whether it must wait for a need)."""
    waiting = False
    for need in step.needs:
        dep = rows.get(need)
        if dep is None or dep.status == "succeeded":  # not in this run (a one-step run), or done
            continue
        if dep.status == "failed" and _passes(dep, loop.steps[need], step):
            continue
        if dep.status in STEP_DONE:
            return f"needs {need}, which {dep.status}", False
        waiting = True
    return None, waiting


def _passes(dep: StepState, dep_step: Step, step: Step) -> bool:
    """A quality gate that failed stops only the steps that read the warehouse."""
    if not dep.gate or dep.gate.get("result") != "fail":
        return False
    blocks = get_action(dep_step.action).gate_blocks
    return blocks == "warehouse_readers" and not get_action(step.action).reads_warehouse


def _end(rows: list[StepState], moment: datetime) -> Move:
    failed = [row for row in rows if row.status == "failed"]
    if failed:
        reason = "; ".join(f"{row.name}: {row.error}" for row in failed)
        return Move(None, "failed", {"reason": reason[:2000], "finished_at": moment})
    if any(row.status == "cancelled" for row in rows):
        return Move(None, "cancelled", {"finished_at": moment})
    return Move(None, "succeeded", {"finished_at": moment})


def execute(settings: Settings, store: Store, run_id: str, name: str, worker: str) -> Finish | None:
    """Run one step if it is still pending (else do nothing and return None: a duplicate
    delivery). Returns how the attempt ended, for `advance` to record with the run's next moves
    in one transaction (a transient error within the step's retries: back to pending, with
    `retry_in`). Every log line written while the step runs carries run_id, loop and step
    (structlog context variables)."""
    began = store.begin_step(run_id, name, worker)
    if began is None:
        return None
    attempt = began.attempt
    loop = loop_of(store, run_id)
    with structlog.contextvars.bound_contextvars(run_id=run_id, loop=loop.name, step=name):
        started = time.perf_counter()
        try:
            # WORKSPACE/logs; the runner's own lines wait until the end is recorded (advance)
            with steplog.capture(settings.workspace, run_id, name, hold=True) as step_log:
                try:
                    finish = _execute(
                        settings, store, loop.steps[name], run_id, name, worker, attempt, step_log
                    )
                except BaseException:
                    HEARTBEATS.forget((run_id, name, attempt))
                    step_log.close()
                    raise
            finish.log, finish.last = step_log, began.last
            return finish
        finally:
            STEP_DURATION.labels(loop.name, name).observe(time.perf_counter() - started)


def _execute(
    settings: Settings,
    store: Store,
    step: Step,
    run_id: str,
    name: str,
    worker: str,
    attempt: int,
    step_log: steplog.StepLog,
) -> Finish:
    action = get_action(step.action)
    context = ActionContext(settings, run_id, name, attempt)
    with steplog.later():
        log.info("step started", attempt=attempt, worker=worker)
    key = (run_id, name, attempt)
    HEARTBEATS.watch(store, key, context.stop, settings.runner.heartbeat, step_log)
    try:  # it beats until `advance` has recorded its end, or an error leaves `execute`
        result = _call(action, context, step)
        gate = _judge(action, step, result)
    except MarketloopError as exc:
        return _failed(settings, context, step, exc.transient, str(exc))
    except Exception as exc:
        with steplog.later():
            log.error("step crashed", error=traceback.format_exc())
        return _failed(settings, context, step, False, f"{type(exc).__name__}: {exc}")
    if gate is not None:
        GATE_RESULTS.labels(loop_of(store, run_id).name, name, gate.result).inc()
    status = "failed" if gate is not None and gate.result == "fail" else "succeeded"
    if context.stop.is_set() and store.run(run_id).status == "cancelled":
        status = "cancelled"
    with steplog.later():
        log.info("step finished", status=status)
    values = {
        "finished_at": now(),
        "outputs": result.outputs,
        "facts": result.facts,
        "summary": mask_secrets(result.summary),
        "gate": gate.model_dump() if gate else None,
        "error": gate.reason if status == "failed" and gate else None,
    }
    return Finish(name, attempt, status, values)


def _call(action: Action, context: ActionContext, step: Step) -> ActionResult:
    def run() -> ActionResult:
        if not action.writes_warehouse:
            return action.execute(context, step.with_)
        warehouse = warehouse_file(context.settings)
        with warehouse_lock(warehouse):
            result = action.execute(context, step.with_)
            refresh(warehouse)  # readers see this write from now on (quality/readcopy.py)
            return result

    if step.timeout is None:
        return run()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = run()
        except BaseException as exc:
            box["error"] = exc

    # the step's thread runs in a copy of this context: its lines go to the step's log and
    # carry run_id, loop and step (structlog's and steplog's context variables)
    scope = contextvars.copy_context()
    thread = threading.Thread(
        target=scope.run, args=(target,), name=f"step-{context.key}", daemon=True
    )
    thread.start()
    thread.join(step.timeout)
    if thread.is_alive():
        context.stop.set()  # a cooperative action stops; others finish in the background
        raise StepTimeout(f"step {context.step} timed out after {step.timeout:g} s")
    if "error" in box:
        raise box["error"]
    result: ActionResult = box["result"]
    return result


def _judge(action: Action, step: Step, result: ActionResult) -> GateResult | None:
    if action.gate is None or action.judge is None:
        return None
    if isinstance(step.gate, dict):
        return action.judge(action.gate.model_validate(step.gate), result)
    if action.gate_always:
        return action.judge(action.gate(), result)
    return None


def _failed(
    settings: Settings, context: ActionContext, step: Step, transient: bool, message: str
) -> Finish:
    message = mask_secrets(message)
    name, attempt = context.step, context.attempt
    if transient and attempt <= step.retries:
        first = step.backoff if step.backoff is not None else settings.runner.backoff
        delay = backoff(attempt - 1, first, settings.runner.backoff_cap)
        with steplog.later():
            log.warning("step will retry", attempt=attempt, delay=delay)
        not_before = now() + timedelta(seconds=delay)
        values = {"error": message, "not_before": not_before, "enqueued_at": None}
        return Finish(name, attempt, "pending", values, retry_in=delay)
    with steplog.later():
        log.warning("step failed", error=message)
    return Finish(name, attempt, "failed", {"error": message, "finished_at": now()})
