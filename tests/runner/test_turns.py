"""The SQL of a step's path (settle.py, Store.begin_step): what each turn sends, on SQLite and
PostgreSQL. The figures are the benchmark's (`make bench BENCH=runner`); these pin the shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from marketloop.config import Settings
from marketloop.runner import engine, service
from marketloop.runner.model import Loop
from marketloop.runner.store import Store, now

MakeLoop = Callable[..., Loop]


@contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, str]]]:
    """(the SQL as sent, the SQL as compiled) of every statement run in the context."""
    sent: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: Any) -> None:
        compiled = context.compiled.string if context.compiled is not None else sql
        sent.append((" ".join(sql.split()), compiled))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


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
    assert [sql.split()[:3] for sql, _ in sent] == [
        ["INSERT", "INTO", "runner_runs"],
        ["INSERT", "INTO", "runner_steps"],
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
    """No IN list rendered anew at each execution (an "expanding" parameter): every statement
    of a step's begin and of its end is compiled once and reused as it is."""
    loop = make_loop("  a: {action: noop}\n  b: {action: noop, needs: [a]}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    with statements(store) as sent:
        for name in ("a", "b"):
            finish = engine.execute(settings, store, new.id, name, "w")
            engine.advance(store, new.id, finish=finish, mark=True)
    assert service.get_run(settings, new.id).status == "succeeded"
    assert len(sent) >= 8
    assert [compiled for _, compiled in sent if "POSTCOMPILE" in compiled] == []


def test_a_steps_begin_alone_skips_the_wait_for_the_flush_on_postgresql(
    settings: Settings, make_loop: MakeLoop
) -> None:
    loop = make_loop("  a: {action: noop}\n")
    store = service.store_for(settings)
    new = created(loop)
    engine.advance(store, new.id, create=new, mark=True, loop=loop)
    with statements(store) as began:
        assert store.begin_step(new.id, "a", "w") == 1
    with statements(store) as ended:
        finish = engine.Finish("a", 1, "succeeded", {"finished_at": now()})
        assert engine.advance(store, new.id, finish=finish).finished
    no_wait = ["SET LOCAL synchronous_commit TO OFF"]
    postgres = store.engine.dialect.name == "postgresql"
    assert [sql for sql, _ in began if sql.startswith("SET")] == (no_wait if postgres else [])
    assert [sql for sql, _ in ended if sql.startswith("SET")] == []
    assert store.run(new.id).status == "succeeded"
