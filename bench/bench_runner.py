"""The runner against a bare Huey task doing the same no-op on the same storage (issue 9):

- per-step overhead, enqueue to recorded success, on SQLite and on Redis: at most 1.5× the
  bare Huey round trip, and under 20 ms. Both sides run on the same queue storage (the bare
  Huey is built as the runner builds its own) with one in-process consumer thread; the bare
  round trip runs from the call that enqueues to the moment the task has run in the consumer
  (an in-process event: no storage read), the runner's from the call of `start_run` to the
  commit of the step's recorded success (the moment the worker hands its last connection back
  to the pool). Beside it, as this bench timed it before: to the run's `finished_at`, a moment
  stamped before that commit (the last step's own end on PostgreSQL, where that step ends the
  run in its own statement: taken before its end is even sent). The runner on
  SQLite records into the workspace's SQLite app database; on Redis into PostgreSQL, as a
  Redis deployment does (docs/runner.md). A second baseline is reported beside the first,
  never instead of it: a bare Huey task that records its result in the same app database
  (one INSERT in its own transaction, through the same pooled engine), the least any runner
  that keeps its state in a database can do, timed to the end of its commit as the runner
  is. Both callers wait for an event (the task's own, Huey's signal that the runner's task
  ran) and call again at once, so each side's call meets the consumer's polling at the same
  moment. Beside the times, the runner's round trips to the app database per step
  (statements, BEGIN and COMMIT; in `start_run`, in the worker), which the machine's load does
  not move, and one step's work with no consumer and no polling (CPU time in one thread: the
  runner's `start_run`, dequeue and execution; the bare task's enqueue, dequeue and run);
- 1,000 no-op steps drained by 2 worker processes on Redis (PostgreSQL app database):
  at least 100 steps/s;
- a 10-step no-op loop (each step 0.1 s) finishes within 1 s of its steps' own time.

Needs Redis (MARKETLOOP_TEST_REDIS, default redis://127.0.0.1:6379/15: FLUSHED) and PostgreSQL
(127.0.0.1:5432, a throwaway database is made). Run: `make bench BENCH=runner`.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REDIS = os.environ.get("MARKETLOOP_TEST_REDIS", "redis://127.0.0.1:6379/15")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROUND_TRIPS = 150
WORK = 500
STEPS, PER_RUN = 1000, 20
CHAIN, CHAIN_SECONDS = 10, 0.1


def main() -> None:
    from marketloop.observe.logging import configure_logging

    configure_logging("warning", "console")  # as a worker logs: step lines are debug detail
    for storage in ("sqlite", "redis"):
        trips: dict[str, float] = {}
        if storage == "redis":
            with _postgres() as url:
                bare, recorded, runner = _overhead(storage, url, trips)
                work = _work(storage, url)
        else:
            bare, recorded, runner = _overhead(storage, None, trips)
            work = _work(storage, None)
        stamped, runner = runner, trips["committed"]
        app = "postgresql" if storage == "redis" else "sqlite"
        print(
            f"{storage} queue, {app} app database (medians of {ROUND_TRIPS}): runner step "
            f"{runner:.2f} ms (to the commit of its recorded success); bare Huey round trip "
            f"{bare:.2f} ms; bare Huey task that records its result in the app database (one "
            f"INSERT, to its commit) {recorded:.2f} ms"
        )
        print(
            f"  runner / bare Huey: {runner / bare:.2f}× (ratio to the 1.5× goal: "
            f"{runner / bare / 1.5:.2f}); runner / bare Huey + INSERT: {runner / recorded:.2f}× "
            f"(ratio to 1.5×: {runner / recorded / 1.5:.2f}); to the 20 ms goal: "
            f"{runner / 20:.2f} (below 1 meets them); the slowest of the {ROUND_TRIPS} steps "
            f"{trips['slowest']:.2f} ms (every step under 20 ms: "
            f"{'yes' if trips['slowest'] < 20 else 'no'})"
        )
        print(
            f"  beside it: the runner step to the run's finished_at (a moment stamped before "
            f"the end is committed; the last step's own end on PostgreSQL) {stamped:.2f} ms: "
            f"{stamped / bare:.2f}× the bare round trip, {stamped / recorded:.2f}× the + INSERT one"
        )
        print(
            f"  app database round trips per step (statements, BEGIN and COMMIT; load-free): "
            f"{trips['start_run']:.1f} in start_run, {trips['worker']:.1f} in the worker"
        )
        print(
            f"  one step's work in one thread, no polling (its CPU time, min / median of "
            f"{WORK}): runner {work['runner'][0]:.0f} / {work['runner'][1]:.0f} µs (start_run, "
            f"dequeue, execute); bare Huey {work['bare'][0]:.0f} / {work['bare'][1]:.0f} µs "
            f"(enqueue, dequeue, execute): {work['runner'][0] / work['bare'][0]:.1f}× at the "
            f"min; load average {os.getloadavg()[0]:.1f}"
        )
    rate = _throughput()
    print(f"redis + postgresql, 2 worker processes: {STEPS} no-op steps at {rate:.0f} steps/s")
    print(f"  ratio to the 100 steps/s goal: {100 / rate:.2f} (below 1 meets it)")
    extra = _chain()
    print(f"10-step loop of {CHAIN_SECONDS} s steps: {extra:.3f} s beyond its steps' own time")
    print(f"  ratio to the 1 s goal: {extra:.2f} (below 1 meets it)")


def _settings(root: Path, queue: str | None, app_db: str | None = None) -> Any:
    from marketloop.config import load_settings

    values: dict[str, Any] = {"workspace": root, "runner": {"queue": queue}}
    if app_db:
        values["app_db_url"] = app_db
    return load_settings(None, values)


@contextmanager
def _consumer(huey: Any, workers: int = 1) -> Iterator[None]:
    from marketloop.runner.worker import CONSUMER

    consumer = huey.create_consumer(workers=workers, **CONSUMER)
    consumer.start()
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def _flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    client.close()


@contextmanager
def _postgres() -> Iterator[str]:
    """A throwaway PostgreSQL database (its URL), dropped afterwards."""
    import psycopg

    from marketloop.appdb import dispose_all

    name = f"marketloop_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        dispose_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _overhead(
    storage: str, app_db: str | None = None, trips: dict[str, float] | None = None
) -> tuple[float, float, float]:
    """Medians (ms): the bare Huey round trip, the bare Huey task that records its result in
    the app database (one INSERT, in its own transaction), and the runner's step; `trips` gets
    the runner's round trips to the app database per step, in `start_run` and in the worker
    (the caller's reads are not counted), as "committed" the median time (ms) from the call of
    `start_run` to the moment the worker returned its last connection to the pool (the commit
    of the step's end, and the run's) and as "slowest" the longest of those times; the
    runner's median returned is to the run's `finished_at`, a moment stamped before that
    commit."""
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

    from marketloop.config import app_db_url
    from marketloop.runner import service
    from marketloop.runner.loopfile import parse_loop
    from marketloop.runner.queue import make_huey

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = _settings(root / "ws", REDIS if storage == "redis" else None, app_db)
        service.store_for(settings)  # migrate before timing
        bare = _bare(storage, root / "bare.db", "bare")
        recorded = _bare(storage, root / "bare_db.db", "bare_db", app_db_url(settings))
        huey, _ = make_huey(settings)
        ran = threading.Event()

        @huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)
        def _ran(*_: Any) -> None:
            ran.set()

        loop = parse_loop("name: one\nsteps:\n  a: {action: noop}\n")
        runner, committed, started = [], [], []
        counted = _RoundTrips()
        with _consumer(huey), counted:
            for _ in range(ROUND_TRIPS):
                counted.returned.clear()
                ran.clear()
                called = datetime.now(UTC)
                with counted.caller():
                    run = service.start_run(settings, loop)
                # the time is the recorded one; the caller waits for the consumer to have run
                # the step's task, as the bare task's caller waits for an event, and starts the
                # next at once, as that caller does (the runs are read after the loop): it takes
                # no CPU (GIL) or database time from the worker, and each side's call comes at
                # the same moment of the consumer's polling
                ran.wait(10)
                committed.append((max(counted.returned) - called).total_seconds() * 1000)
                started.append((run.run_id, called))
        for run_id, called in started:
            view = service.get_run(settings, run_id)
            assert view.status == "succeeded", view
            assert view.finished_at is not None
            runner.append((view.finished_at - called).total_seconds() * 1000)
        if trips is not None:
            trips["start_run"] = counted.caller_trips / ROUND_TRIPS
            trips["worker"] = counted.worker_trips / ROUND_TRIPS
            trips["committed"] = statistics.median(committed)
            trips["slowest"] = max(committed)
        return bare, recorded, statistics.median(runner)


def _work(storage: str, app_db: str | None) -> dict[str, tuple[float, float]]:
    """One step's work with no polling, the CPU time of this thread (µs; min and median of WORK
    steps after 50 unmeasured: the load on the machine moves it much less than a wall time):
    in this thread, with no consumer, the bare Huey task's enqueue, dequeue and execution, and
    the runner's `start_run`, dequeue and execution (to its recorded success, and its step log
    closed): what each costs, which the embedded queue's polling hides (an idle consumer looks
    2 ms after its last look). SQLite runs in this thread; Redis and PostgreSQL do their own
    work in their processes (not counted), so on Redis it is the Python side only."""
    from huey import RedisHuey

    from marketloop.runner import service
    from marketloop.runner.loopfile import parse_loop
    from marketloop.runner.queue import make_huey, sqlite_huey

    def timed(one: Any) -> tuple[float, float]:
        times = []
        for i in range(50 + WORK):
            started = time.thread_time()
            one()
            if i >= 50:
                times.append((time.thread_time() - started) * 1e6)
        return min(times), statistics.median(times)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if storage == "redis":
            _flush_redis()
            bare: Any = RedisHuey("bare_work", url=REDIS, results=False, blocking=True)
        else:
            bare = sqlite_huey("bare_work", root / "bare.db")

        @bare.task()
        def noop(task_id: str) -> None:
            pass

        def bare_step() -> None:
            noop("t")
            bare.execute(bare.dequeue())

        settings = _settings(root / "ws", REDIS if storage == "redis" else None, app_db)
        service.store_for(settings)  # migrate before timing
        huey, _ = make_huey(settings)
        loop = parse_loop("name: one\nsteps:\n  a: {action: noop}\n")

        def runner_step() -> None:
            service.start_run(settings, loop)
            huey.execute(huey.dequeue())

        return {"bare": timed(bare_step), "runner": timed(runner_step)}


class _RoundTrips:
    """Counts what the app database engines send: each statement, and a BEGIN and a COMMIT
    (or ROLLBACK) for each transaction that is not in autocommit; those of `start_run` (in
    `caller()`) and those of other threads (the consumer's and its heartbeats). `returned`:
    when other threads returned a connection to its pool (after the commit, if any).

    The runner's turns run on the DBAPI cursor, which SQLAlchemy's events do not see
    (appdb/direct.py), so statements are counted where the driver runs them: on SQLite from
    its own trace of the pooled connections (every statement it runs, BEGIN and COMMIT
    included; a read alone in its transaction is one statement there: pysqlite begins a
    transaction only before a write), on PostgreSQL from the cursors of the pooled psycopg
    connections (each execute and executemany; a transaction's BEGIN and COMMIT from
    SQLAlchemy's events)."""

    def __init__(self) -> None:
        self.caller_trips = self.worker_trips = 0
        self.returned: list[datetime] = []
        self._in_caller = False
        self._main = threading.main_thread()
        self._counted: type = object

    def _count(self, trips: int) -> None:
        if threading.current_thread() is not self._main:
            self.worker_trips += trips
        elif self._in_caller:
            self.caller_trips += trips

    def _traced(self, _: str) -> None:
        self._count(1)

    def _checkout(self, dbapi_connection: Any, *_: Any) -> None:
        import psycopg

        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self._traced)
        elif isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = self._counted

    def _checkin(self, dbapi_connection: Any, *_: Any) -> None:
        import psycopg

        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
        elif isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = psycopg.Cursor
        if threading.current_thread() is not self._main:
            self.returned.append(datetime.now(UTC))

    def _end(self, conn: Any) -> None:  # a transaction's BEGIN and COMMIT, unless autocommit
        sqlite = conn.dialect.name == "sqlite"  # SQLite's trace counts those
        if not sqlite and not getattr(conn.connection.dbapi_connection, "autocommit", False):
            self._count(2)

    def _cursor_class(self) -> type:
        """A psycopg cursor that counts each statement it sends."""
        import psycopg

        count = self._count

        class Counted(psycopg.Cursor[Any]):
            def execute(self, *args: Any, **kwargs: Any) -> Any:
                count(1)
                return super().execute(*args, **kwargs)

            def executemany(self, *args: Any, **kwargs: Any) -> Any:
                count(1)
                return super().executemany(*args, **kwargs)

        return Counted

    @contextmanager
    def caller(self) -> Iterator[None]:
        self._in_caller = True
        try:
            yield
        finally:
            self._in_caller = False

    def __enter__(self) -> _RoundTrips:
        from sqlalchemy import Engine, Pool, event

        self._counted = self._cursor_class()
        event.listen(Engine, "commit", self._end)
        event.listen(Engine, "rollback", self._end)
        event.listen(Pool, "checkin", self._checkin)
        event.listen(Pool, "checkout", self._checkout)
        return self

    def __exit__(self, *_: object) -> None:
        from sqlalchemy import Engine, Pool, event

        event.remove(Engine, "commit", self._end)
        event.remove(Engine, "rollback", self._end)
        event.remove(Pool, "checkin", self._checkin)
        event.remove(Pool, "checkout", self._checkout)


def _bare(storage: str, path: Path, name: str, app_db: str | None = None) -> float:
    """The median round trip (ms) of a bare Huey task on the same storage as the runner's
    queue, from the call that enqueues to the moment the task has run in the consumer; with
    `app_db`, the task first records its result there (one INSERT through the same pooled
    SQLAlchemy engine the runner uses)."""
    from huey import RedisHuey
    from sqlalchemy import Column, DateTime, MetaData, String, Table, insert

    from marketloop.appdb import open_app_db
    from marketloop.runner.queue import sqlite_huey

    if storage == "redis":
        _flush_redis()
        huey: Any = RedisHuey(name, url=REDIS, results=False, blocking=True)
    else:
        huey = sqlite_huey(name, path)
    results = Table(
        "bench_results",
        MetaData(),
        Column("id", String(40), primary_key=True),
        Column("finished_at", DateTime(timezone=True)),
    )
    engine = open_app_db(app_db) if app_db else None
    if engine is not None:
        results.create(engine, checkfirst=True)
    done = threading.Event()

    @huey.task()
    def noop(task_id: str) -> None:
        if engine is not None:
            with engine.begin() as conn:
                conn.execute(insert(results).values(id=task_id, finished_at=datetime.now(UTC)))
        done.set()

    times = []
    with _consumer(huey):
        for i in range(ROUND_TRIPS):
            done.clear()
            started = time.perf_counter()
            noop(f"t{i}")
            done.wait(10)
            times.append((time.perf_counter() - started) * 1000)
    if engine is not None:
        results.drop(engine)
    return statistics.median(times)


def _throughput() -> float:
    import psycopg

    from marketloop.runner import service
    from marketloop.runner.loopfile import parse_loop

    _flush_redis()
    name = f"marketloop_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = _settings(Path(tmp) / "ws", REDIS, url)
            steps = "".join(f"  s{i}: {{action: noop}}\n" for i in range(PER_RUN))
            loop = parse_loop("name: wide\nsteps:\n" + steps)
            env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")}
            env.update(
                MARKETLOOP_WORKSPACE=str(Path(tmp) / "ws"),
                MARKETLOOP_APP_DB_URL=url,
                MARKETLOOP_RUNNER_QUEUE=REDIS,
            )
            service.store_for(settings)  # migrate before the workers start
            command = [sys.executable, "-m", "marketloop", "worker", "--threads", "4"]
            quiet = subprocess.DEVNULL
            procs += [
                subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet) for _ in range(2)
            ]
            base = _settled([proc.pid for proc in procs])  # the workers are up and idle
            started = time.perf_counter()
            ids = [service.start_run(settings, loop).run_id for _ in range(STEPS // PER_RUN)]
            store = service.store_for(settings)
            while store.active_runs():  # one light query a tenth of a second
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            cpu = sum(_cpu_seconds(proc.pid) for proc in procs) - base
            failed = [r for r in ids if service.get_run(settings, r).status != "succeeded"]
            assert not failed, failed
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        from marketloop.appdb import dispose_all

        dispose_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    print(
        f"  (the worker processes used {cpu / STEPS * 1000:.1f} ms of CPU per step: "
        f"{STEPS / cpu:.0f} steps/s per busy core; load average now {os.getloadavg()[0]:.1f})"
    )
    return STEPS / elapsed


def _settled(pids: list[int]) -> float:
    """Wait until the processes have started and gone idle; their CPU seconds so far."""
    last = -1.0
    while True:
        time.sleep(1.0)
        now = sum(_cpu_seconds(pid) for pid in pids)
        if now - last < 0.05:
            return now
        last = now


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _chain() -> float:
    from marketloop.runner import service
    from marketloop.runner.loopfile import parse_loop
    from marketloop.runner.queue import make_huey

    steps = "".join(
        f"  s{i}: {{action: noop, with: {{seconds: {CHAIN_SECONDS}}}"
        + (f", needs: [s{i - 1}]" if i else "")
        + "}\n"
        for i in range(CHAIN)
    )
    loop = parse_loop("name: chain\nsteps:\n" + steps)
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp) / "ws", None)
        huey, _ = make_huey(settings)
        with _consumer(huey, workers=2):
            run = service.start_run(settings, loop)
            view = service.wait_run(settings, run.run_id, poll=0.01, timeout=60)
        assert view.status == "succeeded" and view.finished_at is not None
        total = (view.finished_at - view.created_at).total_seconds()
    return total - CHAIN * CHAIN_SECONDS


if __name__ == "__main__":
    main()
