"""One transaction per turn of a run: record how a step ended, and move the run on.

A turn is what happens after a step's attempt ends (or a run is created, a step approved, a
sweeper looks at a run): the attempt's own move (`Finish`), then the moves the engine plans from
the steps' rows (skips, approvals to wait for, the ready steps marked enqueued, the run's end).
All of it is one transaction in SQLAlchemy Core (no ORM on this path), so a step's end costs one
commit, not four:

    BEGIN
      UPDATE runner_steps  ... the attempt's end (compare-and-set, fenced by its attempt number)
      UPDATE runner_runs   SET status = status ... RETURNING status   (the run's row lock)
      SELECT runner_steps  ... every step of the run
      UPDATE ...           the planned moves, each a compare-and-set
    COMMIT

On PostgreSQL the first three are one statement (`_end_lock_read_statement`), which also ends
the run when the attempt succeeded and every other step succeeded or was skipped (the run's
last step: no UPDATE of the run after it); the other ends of a run are the engine's plan. On
SQLite the lock after a success ends the run so too (`_LOCK_END_RUN`), and a run so ended is
not read. On both the statements run on the DBAPI cursor (appdb/direct.py: SQLAlchemy's
execution costs more Python than SQLite's own work, and as much as psycopg's).

The run's row lock serialises the turns of one run (PostgreSQL; SQLite has one writer anyway):
two steps of a run that end at once cannot both miss that the run is over. A new run is
inserted in its first turn, planned from the rows in hand (no read), with that turn's moves
already in the rows it inserts (its first steps marked enqueued: no UPDATE after the INSERT).
The statements are built once, with bound parameters (an UPDATE sets the columns its
parameters name), so a turn compiles nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)

from marketloop.appdb import direct
from marketloop.observe.steplog import StepLog
from marketloop.runner.states import RUN_DONE, RUN_MOVES, STEP_MOVES, sources
from marketloop.runner.tables import RUNS, STEPS


@dataclass
class StepState:
    """What the engine plans from: a step's row, the columns that decide what comes next."""

    name: str
    status: str
    approved_by: str | None = None
    not_before: datetime | None = None
    enqueued_at: datetime | None = None
    gate: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class Move:
    """A planned change: step `name` (or the run, when `name` is None) to `new`; `new` None
    changes only `values` (a step marked enqueued), if its status is one of `from_`."""

    name: str | None
    new: str | None
    values: dict[str, Any] = field(default_factory=dict)
    from_: Sequence[str] | None = None


@dataclass
class Finish:
    """How one attempt of a step ended: its move, fenced by the attempt number."""

    name: str
    attempt: int
    status: str  # succeeded, failed, cancelled, or pending (a retry)
    values: dict[str, Any]
    retry_in: float | None = None  # seconds until the retry (status pending)
    #: PostgreSQL: when the attempt began, every other step of its run had succeeded or was
    #: skipped (Store.begin_step), so a success of it ends the run: see `end_alone`
    last: bool = False
    #: the attempt's log, closed (its waiting lines written) once this end is recorded
    log: StepLog | None = field(default=None, repr=False, compare=False)


@dataclass
class NewRun:
    id: str
    loop: str
    trigger: str
    definition: dict[str, Any]
    steps: Sequence[tuple[str, str]]  # (name, action), in order
    created_at: datetime


Planner = Callable[[str, list[StepState]], list[Move]]  # (run status, steps) → moves

# statements built once (their SQL and cache key too): they run at every turn of every run
#: a no-op write: the lock that serialises the turns of one run
LOCK_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("run"))
    .values(status=RUNS.c.status)
    .returning(RUNS.c.status)
)
STEPS_OF_RUN = (
    select(*(STEPS.c[name] for name in StepState.__dataclass_fields__))
    .where(STEPS.c.run_id == bindparam("run"))
    .order_by(STEPS.c.position)
)
INSERT_RUN = insert(RUNS)
#: PostgreSQL: a run and its steps in one statement (one round trip, its own transaction), the
#: rows as JSON made into the tables' row types (a column the JSON lacks is NULL: these tables
#: have no server-side defaults), so one statement serves any number of steps and compiles once
INSERT_RUN_ONE_STATEMENT = text(
    "WITH new_run AS (INSERT INTO runner_runs"
    " SELECT * FROM json_populate_record(NULL::runner_runs, CAST(:run AS json)))"
    " INSERT INTO runner_steps"
    " SELECT * FROM json_populate_recordset(NULL::runner_steps, CAST(:steps AS json))"
)
INSERT_STEPS = insert(STEPS)


def one_of(column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values` as plain comparisons: SQLAlchemy renders an IN list anew at every
    execution of a cached statement (an "expanding" parameter); these compile once."""
    return or_(*(column == value for value in values))


def only_one_left(run: str, name: str) -> ColumnElement[bool]:
    """Every step of the run (bound parameter `run`) but `name` (bound parameter `name`)
    succeeded or was skipped: a success of `name` ends the run (a run's last step)."""
    others = STEPS.alias("others")
    return ~(
        select(others.c.name)
        .where(
            others.c.run_id == bindparam(run),
            others.c.name != bindparam(name),
            others.c.status != "succeeded",
            others.c.status != "skipped",
        )
        .exists()
    )


@cache
def _move_statement(step: bool, allowed: tuple[str, ...], fenced: bool = False) -> Update:
    """A move of a step (or the run) from one of `allowed`, built once per shape (a handful:
    the sources come from states.py), so that it compiles once; the columns it sets are the
    parameters' keys (their bound names in the WHERE clause start with b_: never a column)."""
    if not step:
        return update(RUNS).where(RUNS.c.id == bindparam("b_run"), one_of(RUNS.c.status, allowed))
    statement = update(STEPS).where(
        STEPS.c.run_id == bindparam("b_run"),
        STEPS.c.name == bindparam("b_name"),
        one_of(STEPS.c.status, allowed),
    )
    if fenced:  # a step's finish, fenced by its attempt number
        statement = statement.where(STEPS.c.attempts == bindparam("b_attempt"))
    return statement


def settle(
    conn: Connection,
    run_id: str,
    planner: Planner,
    *,
    finish: Finish | None = None,
    create: NewRun | None = None,
) -> tuple[bool, list[Move]]:
    """Apply `finish` and the planner's moves in the open transaction of `conn`; returns whether
    the finish was recorded, and the moves that were (a compare-and-set that lost is left out).
    """
    if create is not None:  # new rows: the first moves go into the INSERTs themselves
        moves = planner("queued", [StepState(name, "pending") for name, _ in create.steps])
        insert_run(conn, create, moves)
        return False, moves
    states: list[StepState] | None = None
    if finish is not None and conn.dialect.name == "postgresql":  # one statement, see below
        status, finished, states = _end_lock_read(conn, run_id, finish)
        if status is None:  # another turn committed meanwhile (or no such run): lock, read
            status = conn.scalar(LOCK_RUN, {"run": run_id})
            states = None
    else:
        finished = finish is not None and _move_step(
            conn, run_id, finish.name, finish.status, ["running"], finish.attempt, finish.values
        )
        if finished and finish is not None and _may_end_run(finish):
            # the lock, and the run's end when this was its last step: one statement, not the
            # lock, the read and the run's UPDATE (one writer: the condition is exact)
            ended = {
                "b_run": run_id,
                "b_name": finish.name,
                "v_finished_at": finish.values["finished_at"],
            }
            status = direct.execute(conn, _LOCK_END_RUN, ended).scalar()
            if status in RUN_DONE:
                return finished, planner(status, [])  # nothing to plan in an ended run
        else:
            status = direct.execute(conn, LOCK_RUN, {"run": run_id}).scalar()
    if status is None:
        return finished, []
    if states is None:
        read = direct.execute(conn, STEPS_OF_RUN, {"run": run_id})
        states = [StepState(**row) for row in read.mappings()]
    done = [move for move in planner(status, states) if _apply(conn, run_id, move)]
    return finished, done


def end_alone(conn: Connection, run_id: str, finish: Finish) -> tuple[str | None, bool]:
    """PostgreSQL, in autocommit: an attempt's end as one statement that is its own transaction
    (no BEGIN or COMMIT round trip): the end, the run's lock and, when this was the run's last
    step and it succeeded, the run's end (`_end_lock_read_statement`). Returns the run's status
    after it (None when the lock was not taken) and whether the end was recorded. A status that
    is not a run's end means the run goes on: the caller plans it in a transaction of its own,
    as any turn (the lock, a fresh read), since this statement's lock ended with it."""
    status, finished, _ = _end_lock_read(conn, run_id, finish)
    return status, finished


def insert_run(conn: Connection, run: NewRun, moves: Sequence[Move] = ()) -> None:
    """Insert a queued run and its pending steps, with `moves` (the first turn's, planned from
    those rows) applied to the rows before they are written: no UPDATE after the INSERT."""
    row, steps = new_rows(run, moves)
    columns = sorted({key for values in steps.values() for key in values})  # one shape
    if conn.dialect.name == "postgresql":  # one statement: no BEGIN or COMMIT of its own needed
        rows = [{key: values.get(key) for key in columns} for values in steps.values()]
        params = {"run": json.dumps(row, default=_json), "steps": json.dumps(rows, default=_json)}
        direct.execute(conn, INSERT_RUN_ONE_STATEMENT, params)
        return
    direct.execute(conn, INSERT_RUN, row)
    direct.execute(  # executemany
        conn, INSERT_STEPS, [{key: values.get(key) for key in columns} for values in steps.values()]
    )


def new_rows(
    run: NewRun, moves: Sequence[Move] = ()
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The rows `insert_run` writes: the run's, and its steps' by name."""
    row: dict[str, Any] = {
        "id": run.id,
        "loop": run.loop,
        "status": "queued",
        "trigger": run.trigger,
        "definition": run.definition,
        "created_at": run.created_at,
    }
    steps: dict[str, dict[str, Any]] = {
        name: {
            "run_id": run.id,
            "name": name,
            "position": position,
            "action": action,
            "status": "pending",
            "attempts": 0,
            "outputs": {},
            "facts": {},
        }
        for position, (name, action) in enumerate(run.steps)
    }
    for move in moves:
        target = row if move.name is None else steps[move.name]
        target.update(move.values)
        if move.new is not None:
            target["status"] = move.new
    return row, steps


def _json(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _end_lock_read(
    conn: Connection, run_id: str, finish: Finish
) -> tuple[str | None, bool, list[StepState]]:
    """PostgreSQL: an attempt's end, the run's lock and the read of its steps in one statement
    (one round trip, not three): the run's status (None when the lock was not taken: see
    `_end_lock_read_statement`), whether the end was recorded, and the steps' states."""
    params = {
        "b_run": run_id,
        "b_name": finish.name,
        "b_attempt": finish.attempt,
        **{f"v_{key}": value for key, value in finish.values.items()},
    }
    rows = direct.execute(
        conn, _end_lock_read_statement(finish.status, tuple(finish.values)), params
    )
    status, finished, states = None, False, []
    for row in rows.mappings():
        status, finished = row["locked"], bool(row["recorded"])
        states.append(StepState(**{key: row[key] for key in StepState.__dataclass_fields__}))
    for state in states:  # the statement's read saw the step as it was before its end
        if finished and state.name == finish.name:
            state.status = finish.status
            for key in STATE_FIELDS & finish.values.keys():
                setattr(state, key, finish.values[key])
    return status, finished, states


STATE_FIELDS = frozenset(StepState.__dataclass_fields__) - {"name", "status"}


@cache
def _end_lock_read_statement(status: str, keys: tuple[str, ...]) -> Select[Any]:
    """An attempt's end (running → `status`, fenced by its attempt number; the columns `keys`,
    bound as v_KEY) and the run's lock, as data-modifying CTEs of the read of the run's steps.

    A statement reads one snapshot, taken when it starts: if another turn of the run held the
    lock then and committed while this one waited for it, the read would miss that turn's
    moves. So the lock is taken only if the run's row is still the version this snapshot saw
    (its `xmin`, the transaction that wrote it: every turn writes it); otherwise `locked` is
    NULL and the caller takes the lock and reads again (two more round trips, as before).

    A succeeded attempt whose run has no other step left that did not succeed or was not
    skipped ends the run in the lock's UPDATE (succeeded; `finished_at` the step's): the plan
    would end it so (engine._end), and this saves its UPDATE. The snapshot may be stale only
    when the lock is not taken (then nothing is written), and a step once done never changes,
    so a sibling seen done is done; one seen not done makes the plan decide, as before."""
    values = {"status": status} | {
        key: bindparam(f"v_{key}", type_=STEPS.c[key].type) for key in keys
    }
    ended = (
        update(STEPS)
        .where(
            STEPS.c.run_id == bindparam("b_run"),
            STEPS.c.name == bindparam("b_name"),
            STEPS.c.status == "running",
            STEPS.c.attempts == bindparam("b_attempt"),
        )
        .values(values)
        .returning(STEPS.c.name)
        .cte("ended")
    )
    seen = RUNS.alias("seen")
    seen_version = (
        select(literal_column("seen.xmin"))
        .select_from(seen)
        .where(seen.c.id == bindparam("b_run"))
        .scalar_subquery()
    )
    lock: dict[str, Any] = {"status": RUNS.c.status}
    if status == "succeeded" and "finished_at" in keys:  # the run's end, when this is its last
        finished_at = values["finished_at"]
        assert isinstance(finished_at, BindParameter)
        lock = _end_if_last(finished_at, select(ended.c.name).exists())
    locked = (
        update(RUNS)
        .where(RUNS.c.id == bindparam("b_run"), literal_column("runner_runs.xmin") == seen_version)
        .values(lock)
        .returning(RUNS.c.status)
        .cte("locked")
    )
    return (
        select(
            select(locked.c.status).scalar_subquery().label("locked"),
            select(func.count()).select_from(ended).scalar_subquery().label("recorded"),
            *(STEPS.c[name] for name in StepState.__dataclass_fields__),
        )
        .where(STEPS.c.run_id == bindparam("b_run"))
        .order_by(STEPS.c.position)
    )


def _may_end_run(finish: Finish) -> bool:
    """A success that has its end time: the end of its run, if no other step is left."""
    return finish.status == "succeeded" and "finished_at" in finish.values


def _end_if_last(
    finished_at: ColumnElement[Any], recorded: ColumnElement[bool] | None = None
) -> dict[str, Any]:
    """The values of the run's lock (an UPDATE of its row, bound parameter b_run) that also end
    it, succeeded at `finished_at`, when the attempt of step b_name was its last: every other
    step succeeded or was skipped, the run is still queued or running, and the end was
    recorded (`recorded`; None when the caller knows it was). The plan would end it so
    (engine._end): this saves the read of the steps and the run's own UPDATE."""
    last = and_(
        *([] if recorded is None else [recorded]),
        one_of(RUNS.c.status, ["queued", "running"]),
        only_one_left("b_run", "b_name"),
    )
    return {
        "status": case((last, "succeeded"), else_=RUNS.c.status),
        "finished_at": case((last, finished_at), else_=RUNS.c.finished_at),
    }


#: SQLite: the run's lock after an attempt's recorded success, ending the run if that was its
#: last step (the condition is exact: one writer, in the transaction of the attempt's end)
_LOCK_END_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("b_run"))
    .values(_end_if_last(bindparam("v_finished_at", type_=RUNS.c.finished_at.type)))
    .returning(RUNS.c.status)
)


def _apply(conn: Connection, run_id: str, move: Move) -> bool:
    if move.name is None:
        assert move.new is not None
        allowed = sources(RUN_MOVES, move.new)
        params = {"b_run": run_id, "status": move.new, **move.values}
        return bool(direct.execute(conn, _move_statement(False, tuple(allowed)), params).rowcount)
    return _move_step(conn, run_id, move.name, move.new, move.from_, None, move.values)


def _move_step(
    conn: Connection,
    run_id: str,
    name: str,
    new: str | None,
    from_: Sequence[str] | None,
    attempt: int | None,
    values: dict[str, Any],
) -> bool:
    if new is None:  # the values only, in the statuses given
        allowed, changes = list(from_ or ()), values
    else:
        allowed = [old for old in (from_ or sources(STEP_MOVES, new)) if new in STEP_MOVES[old]]
        changes = {"status": new, **values}
    params = {"b_run": run_id, "b_name": name, **changes}
    if attempt is not None:
        params["b_attempt"] = attempt
    statement = _move_statement(True, tuple(allowed), attempt is not None)
    return bool(direct.execute(conn, statement, params).rowcount)
