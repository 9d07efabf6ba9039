"""Run rows: read them, and change a status only by an explicit, checked transition.

Every transition is a compare-and-set (`UPDATE ... WHERE status IN (allowed sources)`): it says
whether it won, so at-least-once delivery of a task, two workers and a sweeper can all try the
same move and only one succeeds. A step's finish is also fenced by its attempt number, so an
attempt that was taken for dead cannot overwrite the attempt that replaced it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from marketloop.appdb import direct, open_app_db, open_autocommit, open_unflushed
from marketloop.errors import RunnerError
from marketloop.runner.settle import one_of, only_one_left
from marketloop.runner.states import RUN_DONE, RUN_MOVES, STEP_MOVES, sources
from marketloop.runner.tables import RUNS, STEPS, RunRow, StepRow


class RunNotFound(RunnerError):
    """No run (or step) by that id."""

    http_status = 404


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns: they are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# built once (their SQL and cache key too): they run at the start of every step
BEGIN_STEP = (
    update(STEPS)
    .where(
        STEPS.c.run_id == bindparam("run"),
        STEPS.c.name == bindparam("step"),
        STEPS.c.status == "pending",
        select(RUNS.c.id)
        .where(RUNS.c.id == bindparam("run"), one_of(RUNS.c.status, ["queued", "running"]))
        .exists(),
    )
    .values(
        status="running",
        attempts=STEPS.c.attempts + 1,
        started_at=bindparam("moment"),
        heartbeat_at=bindparam("moment"),
        worker=bindparam("worker"),
        finished_at=None,
        error=None,
    )
    .returning(STEPS.c.attempts)
)
#: PostgreSQL: the begin in one statement (the run's queued → running in a data-modifying CTE
#: that runs only when the step's move won), its own transaction, on `open_unflushed`'s engine
_BEGAN = BEGIN_STEP.cte("began")
#: PostgreSQL: the attempt, and whether every other step of the run succeeded or was skipped
#: (the step is the run's last: its success ends the run, settle.end_alone)
BEGIN_STEP_ONE_STATEMENT = select(_BEGAN.c.attempts, only_one_left("run", "step")).add_cte(
    update(RUNS)
    .where(
        RUNS.c.id == bindparam("run"),
        RUNS.c.status == "queued",
        select(_BEGAN.c.attempts).exists(),
    )
    .values(status="running", started_at=bindparam("moment"))
    .cte("run_started")
)
#: SQLite: the begin's UPDATE also returns the run's status, so that the run's queued →
#: running (a statement of its own there) is written only when it is queued: a run's first step
BEGIN_STEP_RUN_STATUS = BEGIN_STEP.returning(
    select(RUNS.c.status).where(RUNS.c.id == bindparam("run")).scalar_subquery().label("run")
)
RUN_BY_ID = select(*(c for c in RUNS.c if c.key != "definition")).where(
    RUNS.c.id == bindparam("run")
)
STEPS_BY_RUN = select(STEPS).where(STEPS.c.run_id == bindparam("run")).order_by(STEPS.c.position)
START_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("run"), RUNS.c.status == "queued")
    .values(status="running", started_at=bindparam("moment"))
)


def shown_id(run_id: str) -> str:
    """A run id as an error shows it: run ids are short, a pasted page of text is cut."""
    return run_id if len(run_id) <= 80 else run_id[:79] + "…"


def no_run(run_id: str) -> RunNotFound:
    return RunNotFound(f"no run {shown_id(run_id)}", hint="see `marketloop loop history`")


class Began(NamedTuple):
    """A step's begin that this caller won."""

    attempt: int
    last: bool  # PostgreSQL: every other step of the run succeeded or was skipped


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_app_db(url)
        self.postgres = self.engine.dialect.name == "postgresql"
        #: one statement, one transaction: no BEGIN or COMMIT round trip (reads, and writes
        #: made of a single statement)
        self.autocommit = open_autocommit(url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """ORM sessions, for the paths off a step's way (made on first use: a Store is made per
        `start_run`, and most of them never need one)."""
        return sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    @staticmethod
    def _update(s: Session, statement: Any) -> int:
        """A bulk UPDATE; the session holds no objects to keep in step with it."""
        result = s.execute(statement, execution_options={"synchronize_session": False})
        return int(result.rowcount)  # type: ignore[attr-defined]

    # --- runs ---------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        loop: str,
        trigger: str,
        definition: dict[str, Any],
        steps: Sequence[tuple[str, str]],
    ) -> None:
        """Record a queued run and its pending steps (alone: `engine.advance(create=...)` also
        moves it on in the same transaction)."""
        from marketloop.runner.settle import NewRun, insert_run

        with self.engine.begin() as conn:
            insert_run(conn, NewRun(run_id, loop, trigger, definition, steps, now()))

    def run(self, run_id: str) -> RunRow:
        """A run's row, without its definition (see `definition`; Core SQL: callers poll it)."""
        with self.autocommit.connect() as conn:
            found = conn.execute(RUN_BY_ID, {"run": run_id}).first()
        if found is None:
            raise no_run(run_id)
        return RunRow(**found._mapping)

    def steps(self, run_id: str) -> list[StepRow]:
        with self.session() as s:
            query = select(StepRow).where(StepRow.run_id == run_id).order_by(StepRow.position)
            return list(s.scalars(query))

    def definition(self, run_id: str) -> dict[str, Any]:
        """The loop the run was started with (as `Loop.model_dump`)."""
        with self.session() as s:
            found = s.scalar(select(RunRow.definition).where(RunRow.id == run_id))
        if found is None:
            raise no_run(run_id)
        return dict(found)

    def snapshot(self, run_id: str) -> tuple[RunRow, list[StepRow]]:
        """A run (without its definition: see `definition`) and its steps, in one transaction
        (Core SQL, rows detached from any session: every start of a run reads it)."""
        with self.engine.begin() as conn:
            found = conn.execute(RUN_BY_ID, {"run": run_id}).first()
            if found is None:
                raise no_run(run_id)
            steps = conn.execute(STEPS_BY_RUN, {"run": run_id})
            return RunRow(**found._mapping), [StepRow(**row._mapping) for row in steps]

    def step(self, run_id: str, name: str) -> StepRow:
        with self.session() as s:
            row = s.get(StepRow, (run_id, name))
        if row is None:
            self.run(run_id)  # no such run: say that, not that it lacks the step
            names = ", ".join(r.name for r in self.steps(run_id))
            raise RunNotFound(f"run {run_id} has no step {name!r}", hint=f"its steps: {names}")
        return row

    def runs(
        self,
        loop: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
        status: str | None = None,
    ) -> tuple[list[RunRow], bool]:
        """Newest first; `starting_after` a run id (cursor pagination); and whether more exist."""
        with self.session() as s:
            query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
            if loop:
                query = query.where(RunRow.loop == loop)
            if status:
                query = query.where(RunRow.status == status)
            if starting_after:
                cursor = s.get(RunRow, starting_after)
                if cursor is None:
                    raise RunNotFound(f"no run {shown_id(starting_after)} to page after")
                query = query.where(
                    or_(
                        RunRow.created_at < cursor.created_at,
                        and_(RunRow.created_at == cursor.created_at, RunRow.id < cursor.id),
                    )
                )
            rows = list(s.scalars(query.limit(limit + 1)))
        return rows[:limit], len(rows) > limit

    def active_runs(self, loop: str | None = None, trigger: str | None = None) -> list[RunRow]:
        with self.session() as s:
            query = select(RunRow).where(RunRow.status.in_(["queued", "running"]))
            if loop:
                query = query.where(RunRow.loop == loop)
            if trigger:
                query = query.where(RunRow.trigger == trigger)
            return list(s.scalars(query))

    def move_run(self, run_id: str, new: str, **values: Any) -> bool:
        if new == "running":
            values.setdefault("started_at", now())
        if new in RUN_DONE:
            values.setdefault("finished_at", now())
        with self.session() as s:
            changed = self._update(
                s,
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status.in_(sources(RUN_MOVES, new)))
                .values(status=new, **values),
            )
            return bool(changed)

    # --- steps --------------------------------------------------------------------------

    def move_step(
        self,
        run_id: str,
        name: str,
        new: str,
        *,
        from_: Sequence[str] | None = None,
        attempt: int | None = None,
        **values: Any,
    ) -> bool:
        allowed = [old for old in (from_ or sources(STEP_MOVES, new)) if new in STEP_MOVES[old]]
        where = [StepRow.run_id == run_id, StepRow.name == name, StepRow.status.in_(allowed)]
        if attempt is not None:
            where.append(StepRow.attempts == attempt)
        with self.session() as s:
            changed = self._update(s, update(StepRow).where(*where).values(status=new, **values))
            return bool(changed)

    def begin_step(self, run_id: str, name: str, worker: str) -> Began | None:
        """pending → running (and the run queued → running), in one transaction: the attempt
        number this caller owns, or None if the run ended or another caller won (Core SQL:
        this is on every step's path); on PostgreSQL also whether the step is the run's last
        (`Began.last`: every other step succeeded or was skipped, and a done step stays done).

        On PostgreSQL it is one statement in its own transaction (one round trip) that does
        not wait for its WAL flush (`appdb.open_unflushed`): the step's end is committed
        synchronously after it, which flushes this one too, so only a crash of the database
        server in between can lose it; then the step is pending and enqueued, and the sweeper
        hands it to a worker again, as it does a step whose worker died (at-least-once either
        way). On SQLite the step's compare-and-set returns the run's status, and the run's
        queued → running is written only when it is queued (the DBAPI cursor: appdb/direct.py).
        """
        params = {"run": run_id, "step": name, "moment": now(), "worker": worker}
        if self.postgres:
            with open_unflushed(self.url).connect() as conn:
                began = direct.execute(conn, BEGIN_STEP_ONE_STATEMENT, params).first()
            return None if began is None else Began(int(began[0]), bool(began[1]))
        with self.engine.begin() as conn:
            won = direct.execute(conn, BEGIN_STEP_RUN_STATUS, params).first()
            if won is None:
                return None
            if won[1] == "queued":
                direct.execute(conn, START_RUN, {"run": run_id, "moment": params["moment"]})
            return Began(int(won[0]), False)

    def heartbeat(self, keys: Sequence[tuple[str, str, int]]) -> None:
        moment = now()
        with self.session() as s:
            for run_id, name, attempt in keys:
                self._update(
                    s,
                    update(StepRow)
                    .where(
                        StepRow.run_id == run_id,
                        StepRow.name == name,
                        StepRow.status == "running",
                        StepRow.attempts == attempt,
                    )
                    .values(heartbeat_at=moment),
                )

    def stale_steps(self, before: datetime) -> list[StepRow]:
        """Running steps whose worker has not been heard of since `before`."""
        with self.session() as s:
            query = select(StepRow).where(
                StepRow.status == "running", StepRow.heartbeat_at < before
            )
            return list(s.scalars(query))
