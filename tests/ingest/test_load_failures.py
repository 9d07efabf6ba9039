"""Failures while writing to the warehouse (after everything was fetched), in DuckDB and
PostgreSQL: what the error says, what the tables hold, and that the next run recovers.

dlt writes one table per SQL job, so the load step is not atomic across tables; these tests
pin the documented outcome (docs/ingest.md, "When things go wrong")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from marketloop.config import Settings
from marketloop.errors import IngestError
from marketloop.ingest.jobs import ingest_file, ingest_hubspot
from marketloop.ingest.pipeline import pipeline_for
from marketloop.workspace import Workspace

from .conftest import Fakes, Google, make_settings, query


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(
    request: pytest.FixtureRequest, workspace: Workspace, fakes: Fakes, google: Google
) -> Settings:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return make_settings(workspace, fakes, google, url)


def _sql_client(settings: Settings) -> Any:
    if settings.warehouse.destination == "postgres":
        from dlt.destinations.impl.postgres.sql_client import Psycopg2SqlClient

        return Psycopg2SqlClient
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

    return DuckDbSqlClient


@contextmanager
def failing_writes(settings: Settings, table: str, error: type[Exception]) -> Iterator[None]:
    """Every statement that writes into `table` (e.g. '"hubspot"."deals"') raises `error`, as a
    full disk, a lost connection or a value the column rejects would."""
    client = _sql_client(settings)
    original = client.execute_sql

    def execute_sql(self: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(sql, str) and f"INSERT INTO {table}" in sql:
            raise error(f"simulated failure writing {table}")
        return original(self, sql, *args, **kwargs)

    client.execute_sql = execute_sql
    try:
        yield
    finally:
        client.execute_sql = original


def _names(settings: Settings, table: str, column: str) -> dict[str, str]:
    return dict(query(settings, f"SELECT id, {column} FROM hubspot.{table}"))


def test_a_transient_write_failure_is_completed_by_the_next_run(
    warehouse: Settings, fakes: Fakes, capfd: pytest.CaptureFixture[str]
) -> None:
    data = fakes.hubspot.data
    ingest_hubspot(warehouse)
    data.modify("contacts", 3, firstname="Changed")
    data.modify("deals", 4, dealname="Changed")
    with (
        failing_writes(warehouse, '"hubspot"."deals"', RuntimeError),
        pytest.raises(IngestError, match="simulated failure") as failed,
    ):
        ingest_hubspot(warehouse)
    assert failed.value.hint == (
        "some tables may already hold this run's rows; "
        "the next run completes the pending load first"
    )
    assert _names(warehouse, "deals", "dealname")[data.ident("deals", 4)] == "Deal 4"
    assert query(warehouse, "SELECT count(*) FROM hubspot._dlt_loads") == [(1,)]
    assert pipeline_for(warehouse, "hubspot").has_pending_data

    ingest_hubspot(warehouse)
    assert _names(warehouse, "deals", "dealname")[data.ident("deals", 4)] == "Changed"
    assert _names(warehouse, "contacts", "firstname")[data.ident("contacts", 3)] == "Changed"
    assert not pipeline_for(warehouse, "hubspot").has_pending_data
    err = capfd.readouterr().err
    assert "Traceback" not in err and "simulated failure" not in err  # dlt's logger is quiet


def test_a_terminal_write_failure_is_abandoned_and_the_next_run_fetches_again(
    warehouse: Settings, fakes: Fakes, capfd: pytest.CaptureFixture[str]
) -> None:
    from dlt.destinations.exceptions import DatabaseTerminalException

    data = fakes.hubspot.data
    ingest_hubspot(warehouse)
    data.modify("deals", 4, dealname="Changed")
    with (
        failing_writes(warehouse, '"hubspot"."deals"', DatabaseTerminalException),
        pytest.raises(IngestError, match="simulated failure") as failed,
    ):
        ingest_hubspot(warehouse)
    assert "the load was abandoned" in str(failed.value.hint)
    assert "next run fetches" in str(failed.value.hint)
    assert not pipeline_for(warehouse, "hubspot").has_pending_data
    assert _names(warehouse, "deals", "dealname")[data.ident("deals", 4)] == "Deal 4"

    ingest_hubspot(warehouse)  # the deals cursor went back: the change is fetched again
    assert _names(warehouse, "deals", "dealname")[data.ident("deals", 4)] == "Changed"
    assert query(warehouse, "SELECT count(*) - count(DISTINCT id) FROM hubspot.deals") == [(0,)]
    err = capfd.readouterr().err
    assert "Traceback" not in err and "simulated failure" not in err


def test_a_permanent_failure_in_one_table_does_not_block_the_others(
    warehouse: Settings, tmp_path: Path
) -> None:
    from dlt.destinations.exceptions import DatabaseTerminalException

    keywords = tmp_path / "keywords.csv"
    keywords.write_text("keyword,volume\nseo tools,1200\n")
    backlinks = tmp_path / "backlinks.csv"
    backlinks.write_text("url,anchor\nhttps://a.example/,x\n")
    with failing_writes(warehouse, '"files"."kw"', DatabaseTerminalException):
        for _ in range(2):  # the same error each time, not a stuck package
            with pytest.raises(IngestError, match="load of dataset files") as failed:
                ingest_file(warehouse, keywords, "kw")
            assert "simulated failure" in str(failed.value)
        assert ingest_file(warehouse, backlinks, "backlinks").loaded == {"backlinks": 1}
    assert query(warehouse, "SELECT url, anchor FROM files.backlinks") == [
        ("https://a.example/", "x")
    ]
