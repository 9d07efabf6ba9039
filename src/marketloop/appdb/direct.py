"""SQLAlchemy Core statements run on the DBAPI cursor: for the few statements of a hot path.

    found = direct.execute(conn, STATEMENT, {"run": run_id})  # in conn's transaction, if any
    found.rowcount, found.first(), found.scalar(), found.mappings()
    direct.execute(conn, INSERT, [row, row, ...])              # executemany

`Connection.execute` spends about 45 µs of Python on a statement (the compiled cache's lookup,
an execution context, result metadata, events): on SQLite, whose engine runs in the process,
that is several times a one-row UPDATE's own work, and on PostgreSQL about as much as psycopg's
own (a one-row SELECT: 81 µs of CPU through it, 42 µs on the cursor). Here, on SQLite and
PostgreSQL, a statement is compiled once per parameter keys and database (an UPDATE without
`.values()` sets the columns its parameters name, as with `Connection.execute`), its parameters
go through their types' bind processors and its result columns through their result processors
(the dialect's own: datetimes and JSON are stored and read exactly as `Connection.execute`
does), and it runs on the cursor of the connection's DBAPI connection, inside the transaction
the connection began (one is begun if none was, as `Connection.execute` would; in autocommit
that costs no round trip). On PostgreSQL the result's column names are the compiled statement's
(psycopg's description looks up each column's type), and psycopg prepares a statement it has
run a few times on a connection, as under `Connection.execute`. An error is SQLAlchemy's, and a
disconnect invalidates the pooled connection, as there. A statement this cannot run as
`Connection.execute` would (Python-side column defaults to compute, an expanding IN list, a
parameter name the driver needs escaped) is refused when it is first compiled. Meant for
statements built once (module constants, cached builders): a statement built per call is
compiled per call once 512 shapes are kept. Other databases get `Connection.execute`.

SQLAlchemy's cursor events do not see these statements; the driver does (SQLite's own trace,
`sqlite3.Connection.set_trace_callback`, and psycopg's cursors: what the runner benchmark
counts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Found:
    """A statement's result: its rows (read whole), their column names and its rowcount."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for its database and the parameter keys it was given."""

    sql: str
    names: tuple[str, ...]  # the bound parameters, in their order in `sql` (positional style)
    fixed: dict[str, Any]  # values bound in the statement itself (literals)
    binds: tuple[Processor, ...]  # per name
    results: tuple[Processor, ...]  # per result column
    named: bool  # the driver takes a mapping (psycopg's %(name)s), not a tuple
    columns: tuple[str, ...]  # the result's column names when known when compiled (PostgreSQL)


#: the dialects whose statements run on the cursor here
_DIRECT = frozenset({"sqlite", "postgresql"})


#: by statement, parameter keys and database (name, driver): one process may use several
_plans: dict[tuple[Executable, tuple[str, ...], str, str], _Plan] = {}
_plans_lock = threading.Lock()
#: statements are meant to be built once (module constants, cached builders); past this many
#: shapes a new one is compiled at each execution rather than kept (no unbounded growth)
_PLANS_KEPT = 512


def execute(
    conn: Connection,
    statement: Executable,
    params: Mapping[str, Any] | list[dict[str, Any]],
) -> Found:
    """Run `statement` with `params` (a list of them: executemany) on `conn`."""
    name = conn.dialect.name
    if name not in _DIRECT:
        result = conn.execute(statement, params)
        if not result.returns_rows:
            return Found((), [], result.rowcount)
        return Found(tuple(result.keys()), [tuple(row) for row in result], result.rowcount)
    batches: list[Mapping[str, Any]] = list(params) if isinstance(params, list) else [params]
    if not batches:
        return Found((), [], 0)
    plan = _plan(statement, conn.dialect, tuple(batches[0]))
    values: list[Any] = [_values(plan, batch) for batch in batches]
    if not conn.in_transaction():
        conn.begin()  # as `Connection.execute` autobegins: the connection commits or rolls back
    dbapi = conn.connection.dbapi_connection
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    try:
        if isinstance(params, list):
            cursor.executemany(plan.sql, values)
        else:
            cursor.execute(plan.sql, values[0])
        found = Found((), [], 0)
        if plan.columns:  # the compiled statement's: psycopg's description costs a type lookup
            found = Found(plan.columns, [_row(plan, row) for row in cursor.fetchall()], 0)
        elif cursor.description is not None:
            columns = tuple(column[0] for column in cursor.description)
            found = Found(columns, [_row(plan, row) for row in cursor.fetchall()], 0)
        return replace(found, rowcount=cursor.rowcount)  # after the fetch: RETURNING's count
    except conn.dialect.loaded_dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, dbapi, cursor):  # as SQLAlchemy: not pooled again
            conn.invalidate(exc)
        raise DBAPIError.instance(
            plan.sql, values, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def compiled() -> int:
    """How many (statement, parameter keys) shapes were compiled in this process (each once)."""
    return len(_plans)


def _values(plan: _Plan, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
    out = []
    for name, process in zip(plan.names, plan.binds, strict=True):
        value = params[name] if name in params else plan.fixed[name]
        out.append(value if process is None or value is None else process(value))
    return dict(zip(plan.names, out, strict=True)) if plan.named else tuple(out)


def _row(plan: _Plan, row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row, plan.results, strict=True)
    )


def _plan(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
    key = (statement, keys, dialect.name, dialect.driver)
    found = _plans.get(key)
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError(f"{statement}: Python-side column defaults to compute; give every column")
    named = compiled.positiontup is None  # psycopg's %(name)s: each name once, any order
    if named:
        if compiled.escaped_bind_names:  # rendered under another name than the parameter's
            raise ValueError(f"{statement}: a parameter name that must be escaped; rename it")
        names = tuple(dict.fromkeys(compiled.bind_names.values()))
    else:
        names = tuple(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    if any(bind.expanding for bind in binds) or compiled.literal_execute_params:
        raise ValueError(f"{statement}: an expanding IN list; use plain comparisons")
    fixed = {
        name: bind.effective_value
        for name, bind in zip(names, binds, strict=True)
        if name not in keys
    }
    # the result columns as SQLAlchemy reads them (what the cursor's description will be; the
    # public `exported_columns` of an UPDATE leaves out a labelled subquery of its RETURNING)
    returned = [column[3] for column in compiled._result_columns]  # key, name, objects, type
    plan = _Plan(
        compiled.string,
        names,
        fixed,
        tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
        tuple(type_.dialect_impl(dialect).result_processor(dialect, None) for type_ in returned),
        named,
        tuple(column[1] for column in compiled._result_columns) if named else (),
    )
    with _plans_lock:
        if len(_plans) < _PLANS_KEPT:
            _plans[key] = plan
    return plan
