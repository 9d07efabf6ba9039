from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marketloop.appdb import dispose_all, open_app_db
from marketloop.errors import PlanError
from marketloop.plan.events import Event
from marketloop.plan.store import EventLog


@pytest.fixture(autouse=True)
def _fresh_engines() -> None:
    dispose_all()


def append_only(url: str) -> None:
    engine = open_app_db(url)
    log = EventLog(engine, "P-1")
    at = datetime(2026, 12, 1, 17, tzinfo=UTC)
    first = log.append(Event("slip", at, "day3", {"days": 2, "reason": "keys late"}))
    log.append(Event("done", at, "day3"))
    EventLog(engine, "other").append(Event("done", at, "day3"))
    events = log.events()
    assert next((e.kind, e.task, e.at, e.seq) for e in events) == ("slip", "day3", at, first.seq)
    assert len(events) == 2 and events[0].data == {"days": 2, "reason": "keys late"}
    for statement in (
        "UPDATE plan_events SET task = 'day4'",
        "DELETE FROM plan_events",
        "DELETE FROM plan_events WHERE kind = 'slip'",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert len(log.events()) == 2
    assert not hasattr(log, "update") and not hasattr(log, "delete")
    version = {"version": 2, "dates": {}, "reason": "x"}
    log.append(Event("rebaseline", at, None, version))
    with pytest.raises(PlanError, match="baseline version 2"):
        log.append(Event("rebaseline", at, None, version))


def test_sqlite_log_is_append_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    append_only(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.mark.postgres
def test_postgres_log_is_append_only(postgres_url: str) -> None:
    append_only(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    engine = open_app_db(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE plan_events"))
