"""appdb.direct: Core statements on the DBAPI cursor read and write exactly what
`Connection.execute` does, inside the connection's transaction, and refuse what they cannot
run as it would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketloop.appdb import direct, open_app_db
from marketloop.runner.tables import RUNS, STEPS

MOMENT = datetime(2026, 12, 7, 3, 4, 5, 678901, tzinfo=UTC)
#: hostile values: quotes, a NUL, SQL, non-ASCII, nesting
HOSTILE = 'x\'); DROP TABLE runner_runs; --\0 é ✓ "q"'
DEFINITION: dict[str, Any] = {"name": HOSTILE, "steps": {"a": {"with": {"n": [1, 2.5, None]}}}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    url: str = request.getfixturevalue("postgres_url")
    return open_app_db(url)


def _run_row(run_id: str = "r1") -> dict[str, Any]:
    return {
        "id": run_id,
        "loop": HOSTILE.replace("\0", ""),  # PostgreSQL's text refuses a NUL (JSON escapes it)
        "status": "queued",
        "trigger": "manual",
        "definition": DEFINITION,
        "created_at": MOMENT,
    }


def _step_rows(run_id: str = "r1") -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "name": name,
            "position": position,
            "action": "noop",
            "status": "pending",
            "attempts": 0,
            "outputs": {"report": HOSTILE.replace("\0", "")},
            "facts": {},
        }
        for position, name in enumerate(["a", "b"])
    ]


def test_rows_written_directly_read_back_as_sqlalchemy_reads_them(engine: Engine) -> None:
    with engine.begin() as conn:
        direct.execute(conn, insert(RUNS), _run_row())
        direct.execute(conn, insert(STEPS), _step_rows())  # executemany
    with engine.connect() as conn:
        stored = conn.execute(select(RUNS)).mappings().one()
        steps = conn.execute(select(STEPS).order_by(STEPS.c.position)).mappings().all()
    assert stored["definition"] == DEFINITION
    assert stored["loop"] == HOSTILE.replace("\0", "")
    created = stored["created_at"]
    assert created.replace(tzinfo=created.tzinfo or UTC) == MOMENT  # SQLite: naive UTC
    assert [step["name"] for step in steps] == ["a", "b"]
    assert steps[0]["outputs"] == {"report": HOSTILE.replace("\0", "")}


def test_reads_give_what_connection_execute_gives(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(RUNS), _run_row())
        conn.execute(insert(STEPS), _step_rows())
        conn.execute(update(STEPS).where(STEPS.c.name == "a").values(gate=None, started_at=MOMENT))
    query = (
        select(STEPS.c.name, STEPS.c.started_at, STEPS.c.outputs, STEPS.c.gate, RUNS.c.definition)
        .join(RUNS, RUNS.c.id == STEPS.c.run_id)
        .where(STEPS.c.run_id == bindparam("run"))
        .order_by(STEPS.c.position)
    )
    with engine.connect() as conn:
        found = direct.execute(conn, query, {"run": "r1"})
        expected = [tuple(row) for row in conn.execute(query, {"run": "r1"})]
    assert found.rows == expected
    assert found.columns == ("name", "started_at", "outputs", "gate", "definition")
    assert found.mappings()[1]["started_at"] is None
    assert found.first() == expected[0] and found.scalar() == "a"


def test_an_update_counts_its_rows_and_returns_them_with_literals_bound(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(RUNS), _run_row())
        conn.execute(insert(STEPS), _step_rows())
    move = (
        update(STEPS)
        .where(STEPS.c.run_id == bindparam("b_run"), STEPS.c.status == "pending")
        .returning(STEPS.c.name, STEPS.c.heartbeat_at)
    )
    later = MOMENT + timedelta(hours=1)
    with engine.begin() as conn:  # the columns set are the parameters' keys
        moved = direct.execute(
            conn, move, {"b_run": "r1", "status": "running", "heartbeat_at": later}
        )
    assert moved.rowcount == 2
    assert sorted(name for name, _ in moved.rows) == ["a", "b"]
    assert all(beat.replace(tzinfo=beat.tzinfo or UTC) == later for _, beat in moved.rows)
    with engine.begin() as conn:  # nothing pending is left: the literal 'pending' was bound
        again = direct.execute(
            conn, move, {"b_run": "r1", "status": "failed", "heartbeat_at": later}
        )
        plain = update(STEPS).where(STEPS.c.status == "running").values(status="succeeded")
        done = direct.execute(conn, plain, {})
    assert (again.rowcount, again.rows, again.first(), again.scalar()) == (0, [], None, None)
    assert done.rowcount == 2


def test_it_runs_in_the_connections_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        with conn.begin() as transaction:
            direct.execute(conn, insert(RUNS), _run_row())
            transaction.rollback()
        assert direct.execute(conn, select(RUNS.c.id), {}).rows == []


def test_without_a_transaction_begun_it_begins_one_as_connection_execute_would(
    engine: Engine,
) -> None:
    with engine.connect() as conn:  # not committed: rolled back when the connection closes
        direct.execute(conn, insert(RUNS), _run_row("dropped"))
        assert conn.in_transaction()
    with engine.connect() as conn:  # commit as you go
        direct.execute(conn, insert(RUNS), _run_row("kept"))
        conn.commit()
    with engine.connect() as conn:
        assert direct.execute(conn, select(RUNS.c.id), {}).rows == [("kept",)]


@pytest.mark.postgres
def test_one_statement_is_compiled_for_each_database_it_runs_on(
    tmp_path: Path, postgres_url: str
) -> None:
    query = select(RUNS.c.id, RUNS.c.definition).where(RUNS.c.id == bindparam("run"))
    for engine in (open_app_db(f"sqlite:///{tmp_path / 'app.db'}"), open_app_db(postgres_url)):
        with engine.begin() as conn:
            direct.execute(conn, insert(RUNS), _run_row())
            found = direct.execute(conn, query, {"run": "r1"})
        assert found.rows == [("r1", DEFINITION)], engine.dialect.name
        assert found.columns == ("id", "definition")


def test_errors_are_sqlalchemys(engine: Engine) -> None:
    with engine.begin() as conn:
        direct.execute(conn, insert(RUNS), _run_row())
    with pytest.raises(IntegrityError), engine.begin() as conn:
        direct.execute(conn, insert(RUNS), _run_row())


def test_what_it_cannot_run_as_sqlalchemy_would_is_refused(tmp_path: Path) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    row = _step_rows()[0]
    del row["attempts"]  # a column with a Python-side default left to compute
    with engine.begin() as conn, pytest.raises(ValueError, match="Python-side column defaults"):
        direct.execute(conn, insert(STEPS), row)
    listed = select(RUNS.c.id).where(RUNS.c.status.in_(["queued", "running"]))
    with engine.connect() as conn, pytest.raises(ValueError, match="expanding IN"):
        direct.execute(conn, listed, {})


def test_an_aware_datetime_of_another_zone_is_stored_as_sqlalchemy_stores_it(
    tmp_path: Path,
) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    moment = datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=5)))
    with engine.begin() as conn:
        direct.execute(conn, insert(RUNS), _run_row("r1") | {"created_at": moment})
        conn.execute(insert(RUNS), _run_row("r2") | {"created_at": moment})
        stored = conn.exec_driver_sql("SELECT created_at FROM runner_runs ORDER BY id").all()
    assert stored[0] == stored[1]


def test_statements_built_per_call_are_not_kept_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as conn:
        direct.execute(conn, insert(RUNS), _run_row())
    monkeypatch.setattr(direct, "_PLANS_KEPT", direct.compiled())
    kept = direct.compiled()
    with engine.connect() as conn:
        for _ in range(3):  # a new statement object each time: each compiled, none kept
            query = select(RUNS.c.loop).where(RUNS.c.id == bindparam("run"))
            assert direct.execute(conn, query, {"run": "r1"}).scalar() == _run_row()["loop"]
    assert direct.compiled() == kept
