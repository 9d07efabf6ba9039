"""Search Console data is read where `[warehouse]` says ingest loads it: the DuckDB file (also a
custom one), PostgreSQL, and a clear note for destinations not read yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.config import load_settings
from marketloop.errors import KeywordsError
from marketloop.keywords.run import run_clustering
from marketloop.keywords.search_console import read_search_console, warehouse_target
from marketloop.quality.warehouse import Target

from .conftest import GscRow, write_postgres, write_warehouse

ROWS: list[GscRow] = [
    ("lead scoring", "/product/lead-scoring", 700),
    ("Lead  Scoring", "/blog/what-is-lead-scoring", 100),
    ("marketing attribution", "/product/attribution", 950),
]


def test_a_custom_duckdb_file_in_warehouse_credentials_is_read(tmp_path: Path) -> None:
    path = write_warehouse(tmp_path / "elsewhere.duckdb", ROWS)
    settings = load_settings(
        overrides={"workspace": tmp_path / "ws", "warehouse": {"credentials": str(path)}}
    )
    run = run_clustering(settings, None)
    assert "using 2 Search Console queries (impressions as volume)" in run.notes
    assert {c.cluster for c in run.clusters} == {"lead scoring", "marketing attribution"}

    default = load_settings(overrides={"workspace": tmp_path / "ws"})
    with pytest.raises(KeywordsError, match=r"no Search Console queries in .*ws/warehouse\.duckdb"):
        run_clustering(default, None)


@pytest.mark.postgres
def test_postgres_reads_the_same_as_duckdb(tmp_path: Path, postgres_url: str) -> None:
    write_postgres(postgres_url, ROWS)
    warehouse = {"destination": "postgres", "credentials": postgres_url}
    target = warehouse_target(load_settings(overrides={"warehouse": warehouse}))
    assert target is not None and target.kind == "postgres"
    from_postgres = read_search_console(target)
    duck = Target("duckdb", path=write_warehouse(tmp_path / "w.duckdb", ROWS))
    assert from_postgres is not None and from_postgres == read_search_console(duck)
    assert from_postgres.queries["lead scoring"].impressions == 800


@pytest.mark.postgres
def test_postgres_without_the_table_means_no_search_data(postgres_url: str) -> None:
    warehouse = {"destination": "postgres", "credentials": postgres_url}
    target = warehouse_target(load_settings(overrides={"warehouse": warehouse}))
    assert target is not None and read_search_console(target) is None


def test_another_destination_is_named_and_the_run_goes_on(tmp_path: Path) -> None:
    settings = load_settings(
        overrides={"workspace": tmp_path / "ws", "warehouse": {"destination": "bigquery"}}
    )
    assert warehouse_target(settings) is None
    keywords = tmp_path / "k.csv"
    keywords.write_text("keyword,volume\nlead scoring,900\n")
    run = run_clustering(settings, keywords)
    assert (
        "Search Console data not read: keywords reads a duckdb or postgres warehouse, "
        "and [warehouse] destination is bigquery" in run.notes
    )
    with pytest.raises(KeywordsError, match="no Search Console queries in the bigquery warehouse"):
        run_clustering(settings, None)
