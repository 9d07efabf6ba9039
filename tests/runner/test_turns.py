"""The SQL of a step's path (settle.py, Store.begin_step): what each turn sends, on SQLite and
PostgreSQL. The figures are the benchmark's (`make bench BENCH=runner`); these pin the shape."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text, update
from sqlalchemy.engine.interfaces import CacheStats

from marketloop.appdb import direct, open_unflushed
from marketloop.config import Settings
from marketloop.runner import engine, service
from marketloop.runner.model import Loop
from marketloop.runner.settle import LOCK_RUN
from marketloop.runner.store import Store, now
from marketloop.runner.tables import STEPS

MakeLoop = Callable[..., Loop]
#: statements SQLAlchemy could not cache (compiled anew at every execution)
UNCACHED: set[str] = set()


def statements(store: Store) -> AbstractContextManager[list[tuple[str, str]]]:
    """(the SQL as sent, the SQL as compiled) of every statement run in the context."""
    return statements_of(store.engine)


#: SQLite: the recorders of the open `statements_of` contexts (engines that share a pool, the
#: app database's and its autocommit one, share its connections' one trace callback)
_TRACING: list[Callable[[str], None]] = []
_TRANSACTION = ("BEGIN", "COMMIT")


def _traced(sql: str) -> None:
    for record in _TRACING:
        record(sql)


#: PostgreSQL: the recorders of the open `statements_of` contexts, by pool (engines that share
#: a pool share its connections' cursors), and the SQL as compiled of what SQLAlchemy sent
_RECORDING: dict[Any, list[Callable[[str], None]]] = {}
_COMPILED: dict[str, str] = {}


def _recording_cursor(recorders: list[Callable[[str], None]]) -> type[psycopg.Cursor[Any]]:
    """A psycopg cursor that shows each statement it sends (an executemany: one) to `recorders`."""

    class Recorded(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            for record in recorders:
                record(str(query))
            return super().execute(query, *args, **kwargs)

        def executemany(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            for record in recorders:
                record(str(query))
            return super().executemany(query, *args, **kwargs)

    return Recorded


@contextmanager
def statements_of(target: Engine) -> Iterator[list[tuple[str, str]]]:
    """What the driver sends (the runner's turns run on the DBAPI cursor: appdb/direct.py,
    which SQLAlchemy's cursor events do not see): on SQLite, SQLite's own trace of the pooled
    connections, its BEGIN and COMMIT left out, each execution of an executemany one
    statement; on PostgreSQL, the statements the pooled psycopg connections' cursors send
    (with the SQL as SQLAlchemy compiled it, for what it ran itself)."""
    sent: list[tuple[str, str]] = []
    caller = threading.get_ident()  # not the heartbeat thread's beats
    recorders = _RECORDING.setdefault(target.pool, [])

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: Any) -> None:
        if context.compiled is not None:
            _COMPILED[sql] = context.compiled.string
            if context.cache_hit is CacheStats.NO_CACHE_KEY:
                UNCACHED.add(" ".join(sql.split()))

    def traced(sql: str) -> None:
        if threading.get_ident() == caller and sql.split(maxsplit=1)[0] not in _TRANSACTION:
            sent.append((" ".join(sql.split()), _COMPILED.get(sql, sql)))

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(_traced)
        elif isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = _recording_cursor(recorders)

    def checkin(dbapi_connection: Any, *_: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
        elif isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = psycopg.Cursor

    event.listen(target, "before_cursor_execute", record)
    event.listen(target, "checkout", checkout)
    event.listen(target, "checkin", checkin)
    _TRACING.append(traced)
    recorders.append(traced)
    try:
        yield sent
    finally:
        recorders.remove(traced)
        _TRACING.remove(traced)
        event.remove(target, "before_cursor_execute", record)
        event.remove(target, "checkout", checkout)
        event.remove(target, "checkin", checkin)


def created(loop: Loop) -> engine.NewRun:
    names = list(loop.steps)
    steps = [(name, loop.steps[name].action) for name in names]
    definition = loop.model_dump(mode="json", by_alias=True)
    return engine.NewRun(service.new_run_id(), loop.name, "manual", definition, steps, now())


def test_a_new_run_is_recorded_by_its_inserts_alone(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop(
        "  a: {action: noop}\n  b: {action: noop, gate: manual}\n  c: {action: noop, needs: [a]}\n"
    )
    store = service.store_for(settings)
    new = created(loop)
    with statements(store) as sent:
        following = engine.advance(store, new.id, create=new, mark=True, loop=loop)
    if store.postgres:  # one statement, its own transaction: no BEGIN and COMMIT round trips
        assert [sql.split()[:7] for sql, _ in sent] == [
            ["WITH", "new_run", "AS", "(INSERT", "INTO", "runner_runs", "SELECT"]
        ]
        assert "INSERT INTO runner_steps SELECT" in sent[0][0]
    else:  # one INSERT of the steps, run once a step (SQLite's trace shows each)
        assert [sql.split()[:3] for sql, _ in sent] == [
            ["INSERT", "INTO", "runner_runs"],
            *[["INSERT", "INTO", "runner_steps"]] * 3,
        ]
    assert following.ready == ["a"]
    rows = {row.name: row for row in store.steps(new.id)}
    assert {name: row.status for name, row in rows.items()} == {
        "a": "pending",
        "b": "waiting_approval",
        "c": "pending",
    }
    assert rows["a"].enqueued_at is not None
    assert rows["b"].enqueued_at is None and rows["c"].enqueued_at is None
    assert store.run(new.id).status == "queued"


def test_the_moves_of_a_turn_compile_once(settings: Settings, make_loop: MakeLoop) -> None:
    """No IN list rendered anew at each execution (an "expanding" parameter), and no statement
    that SQLAlchemy cannot cache (a multi-row VALUES): every statement of a run's creation, a
    step's begin and its end is compiled once and reused as it is."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop, needs: [a]}\n")
    store = service.store_for(settings)
    compiled_directly = []  # SQLite: the shapes appdb.direct compiled, after each run
    for _ in range(2):
        with statements(store) as sent, statements_of(open_unflushed(store.url)) as began:
            new = created(loop)
            engine.advance(store, new.id, create=new, mark=True, loop=loop)
            for name in ("a", "b"):
                finish = engine.execute(settings, store, new.id, name, "w")
                engine.advance(store, new.id, finish=finish, mark=True)
        assert service.get_run(settings, new.id).status == "succeeded"
        compiled_directly.append(direct.compiled())
    every = sent + began if store.postgres else sent
    assert len(every) >= 7
    assert [compiled for _, compiled in every if "POSTCOMPILE" in compiled] == []
    assert [sql for sql, _ in every if sql in UNCACHED] == []
    assert compiled_directly[1] == compiled_directly[0]  # the second run compiled nothing


def test_a_steps_begin_alone_skips_the_wait_for_the_flush_on_postgresql(
    settings: Settings, make_loop: MakeLoop
) -> None:
    """On PostgreSQL a step's begin is one statement on the engine whose commits do not wait
    for the WAL flush; its end, on the app database's own engine, does wait."""
    loop = make_loop("  a: {action: noop}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    unflushed = open_unflushed(store.url)
    with statements(store) as began, statements_of(unflushed) as began_unflushed:
        assert store.begin_step(new.id, "a", "w") == (1, store.postgres)  # the run's last
        assert store.begin_step(new.id, "a", "w") is None  # a duplicate delivery
    with statements(store) as ended:
        finish = engine.Finish("a", 1, "succeeded", {"finished_at": now()})
        assert engine.advance(store, new.id, finish=finish).finished
    assert [sql for sql, _ in ended if sql.startswith("SET")] == []
    assert store.run(new.id).status == "succeeded"
    if not store.postgres:
        assert [sql.split()[0] for sql, _ in began] == ["UPDATE", "UPDATE", "UPDATE"]
        return
    assert began == []
    assert [sql.split()[:3] for sql, _ in began_unflushed] == [["WITH", "began", "AS"]] * 2
    with unflushed.connect() as conn:
        assert conn.scalar(text("SHOW synchronous_commit")) == "off"
    with store.engine.connect() as conn:
        assert conn.scalar(text("SHOW synchronous_commit")) == "on"
    # the end, the run's lock, the run's own end (its last step succeeded) and the read of the
    # steps: one statement
    turn = [sql for sql, _ in ended if "runner_steps" in sql or "runner_runs.status" in sql]
    assert [sql.split()[:3] for sql in turn] == [["WITH", "ended", "AS"]]
    assert "locked AS (UPDATE runner_runs" in turn[0]
    assert store.run(new.id).finished_at == finish.values["finished_at"]  # the last step's end


def test_a_begin_loses_to_an_ended_run_and_an_end_to_a_newer_attempt(
    settings: Settings, make_loop: MakeLoop
) -> None:
    """The one-statement forms keep the compare-and-sets: no begin once the run is cancelled
    (and the run stays cancelled), no end recorded for an attempt that is no longer the step's."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    assert store.begin_step(new.id, "a", "w") == (1, False)
    assert store.run(new.id).status == "running"
    assert store.move_step(new.id, "a", "pending", from_=["running"], attempt=1)  # taken over
    assert store.begin_step(new.id, "a", "w2") == (2, False)
    stale = engine.Finish("a", 1, "succeeded", {"finished_at": now()})
    following = engine.advance(store, new.id, finish=stale)
    assert not following.finished
    assert store.step(new.id, "a").status == "running"
    assert engine.advance(store, new.id, finish=engine.Finish("a", 2, "failed", {})).finished
    assert store.step(new.id, "a").status == "failed"
    store.move_run(new.id, "cancelled")
    assert store.begin_step(new.id, "b", "w") is None
    assert store.run(new.id).status == "cancelled"
    assert store.step(new.id, "b").status == "pending"


def two_steps_begun(settings: Settings, make_loop: MakeLoop) -> tuple[Store, engine.NewRun]:
    """PostgreSQL only: a run of two independent steps, both begun (neither is the last)."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop}\n")
    store = service.store_for(settings)
    if not store.postgres:
        pytest.skip("SQLite has one writer: no turn waits inside a statement")
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    assert store.begin_step(new.id, "a", "w") == store.begin_step(new.id, "b", "w") == (1, False)
    return store, new


@pytest.mark.parametrize("last", [False, True], ids=["end-under-lock", "last-step-alone"])
def test_an_end_that_waited_for_another_turn_reads_what_that_turn_wrote(
    settings: Settings, make_loop: MakeLoop, last: bool
) -> None:
    """On PostgreSQL a step's end locks the run and reads its steps in one statement, whose
    snapshot predates the lock: when another turn held the lock and committed meanwhile, the
    end must read again, or both ends miss that the run is over. A run's last step ends alone
    (`last`: one statement) only if its snapshot is current; else the run is planned in a
    transaction of its own (a fresh read under the lock), or it would never end."""
    store, new = two_steps_begun(settings, make_loop)
    ended: dict[str, engine.Next] = {}

    def end_a() -> None:  # last: as if a had begun last, its end goes alone
        finish = engine.Finish("a", 1, "succeeded", {"finished_at": now()}, last=last)
        ended["a"] = engine.advance(store, new.id, finish=finish)

    with store.engine.connect() as other:  # b's end, holding the run's lock
        other.execute(LOCK_RUN, {"run": new.id})
        b_ends = update(STEPS).where(STEPS.c.run_id == new.id, STEPS.c.name == "b")
        other.execute(b_ends.values(status="succeeded", finished_at=now()))
        thread = threading.Thread(target=end_a)
        thread.start()
        _wait_for_a_lock_wait(store)  # a's end has its snapshot, and waits for the lock
        other.commit()
    thread.join(30)
    assert ended["a"].finished and ended["a"].done
    assert store.run(new.id).status == "succeeded"


def _wait_for_a_lock_wait(store: Store) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            if conn.scalar(waiting):
                return
        time.sleep(0.02)
    raise AssertionError("the step's end never waited for the run's lock")


@pytest.mark.parametrize(
    ("first", "run_status"), [("failed", "failed"), ("cancelled", "cancelled"), (None, "running")]
)
def test_a_last_step_ends_its_run_only_as_the_steps_say(
    settings: Settings, make_loop: MakeLoop, first: str | None, run_status: str
) -> None:
    """On PostgreSQL the end of a run's last step ends the run in its own statement when every
    other step succeeded or was skipped; a sibling that failed or was cancelled makes the run
    end so (the engine's plan), and one still running keeps it running."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    assert store.begin_step(new.id, "a", "w") == store.begin_step(new.id, "b", "w") == (1, False)
    if first is not None:
        values = {"finished_at": now(), "error": "<script>'\"& [/]" if first == "failed" else None}
        assert engine.advance(store, new.id, finish=engine.Finish("a", 1, first, values)).finished
    finish = engine.Finish("b", 1, "succeeded", {"finished_at": now()})
    following = engine.advance(store, new.id, finish=finish)
    assert following.finished and following.done == (first is not None)
    run = store.run(new.id)
    assert run.status == run_status and (run.finished_at is None) == (first is None)
    if first == "failed":
        assert run.reason == "a: <script>'\"& [/]"


@contextmanager
def transactions(store: Store) -> Iterator[list[str]]:
    """The transactions begun on the app database's engine in the context (not autocommit)."""
    begun: list[str] = []
    caller = threading.get_ident()  # not the heartbeat thread's beats

    def record(conn: Any) -> None:
        autocommit = getattr(conn.connection.dbapi_connection, "autocommit", False)
        if threading.get_ident() == caller and not autocommit:
            begun.append("BEGIN")

    event.listen(store.engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(store.engine, "begin", record)


def test_the_end_of_a_runs_last_step_is_one_statement_alone_on_postgresql(
    settings: Settings, make_loop: MakeLoop
) -> None:
    """A step that began when every other step of its run had succeeded or was skipped ends
    its run, on PostgreSQL, in one statement that is its own transaction (no BEGIN, no COMMIT
    round trip); the first step of the same run does not: its end is planned under the lock."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop, needs: [a]}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    ends, begins = [], []
    for name in ("a", "b"):
        with statements(store) as began:
            finish = engine.execute(settings, store, new.id, name, "w")
        assert finish is not None and finish.last == (store.postgres and name == "b")
        with statements(store) as sent, transactions(store) as begun:
            assert engine.advance(store, new.id, finish=finish, mark=True).finished
        ends.append((len(sent), len(begun)))
        begins.append([sql.split()[:2] for sql, _ in began if sql.startswith("UPDATE")])
    run = service.get_run(settings, new.id)
    assert run.status == "succeeded"
    assert run.finished_at == run.steps[1].finished_at  # the run ended with its last step
    if store.postgres:
        assert ends[0][1] == 1 and ends[1] == (1, 0)  # b: one statement, no transaction
        return
    # SQLite: a's begin also moves the queued run to running, b's finds it running; a's end is
    # the end, the run's lock, the read of the steps and b marked enqueued; b's the end and the
    # lock that also ends the run (no read), in one transaction each
    assert begins == [
        [["UPDATE", "runner_steps"], ["UPDATE", "runner_runs"]],
        [["UPDATE", "runner_steps"]],
    ]
    assert ends == [(4, 1), (2, 1)]
