"""The marts compute the hand-checked numbers, on DuckDB and on PostgreSQL, and the incremental
ones rebuild every date of a new load."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.quality.marts import check_first_build, check_second_build
from tests.quality.warehouses import Built, build_twice


def test_duckdb_marts_first_build(duck: Built) -> None:
    check_first_build(duck.marts_first)


def test_duckdb_marts_rebuild_the_dates_of_new_loads(duck: Built) -> None:
    check_second_build(duck.marts_second)


@pytest.mark.postgres
def test_postgres_end_to_end(postgres_url: str, tmp_path: Path) -> None:
    secret = "pw-8c1f-never-on-disk"  # trust auth accepts any password
    credentials = postgres_url.replace("postgres@", f"postgres:{secret}@", 1)
    built = build_twice(tmp_path, {"destination": "postgres", "credentials": credentials})
    assert built.target.password == secret
    assert built.target.kind == "postgres"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "dbt.log" for p in written)
    assert not [p for p in written if secret.encode() in p.read_bytes()]
    check_first_build(built.marts_first)
    check_second_build(built.marts_second)
    assert (built.first["status"], built.second["status"]) == ("pass", "pass")
    assert built.first["summary"]["tests"] == built.second["summary"]["tests"]
    assert [r["run_id"] for r in built.second["history"]["runs"]] == [
        built.first["run_id"],
        built.second["run_id"],
    ]
    changes = built.second["schema_changes"]
    assert {
        "table": "hubspot.contacts",
        "change": "column_added",
        "column": "hs_persona",
    }.items() <= changes[0].items()
