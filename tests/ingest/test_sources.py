"""The public dlt sources in a plain dlt pipeline (no marketloop pipeline code): configured
through MARKETLOOP_* variables as a user would, into DuckDB and PostgreSQL, run twice so the
dlt.sources.incremental cursors decide what the second run asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from marketloop.ingest import sources

from .conftest import HUBSPOT_TOKEN, PROPERTY, SITE, TODAY, Fakes, Google


@pytest.fixture
def configured(fakes: Fakes, google: Google, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """marketloop's configuration as environment variables, pointing at the fakes."""
    for name, value in {
        "MARKETLOOP_GOOGLE_CREDENTIALS_FILE": str(google.key_file),
        "MARKETLOOP_GA4_BASE_URL": fakes.urls["ga4"],
        "MARKETLOOP_GA4_INITIAL_DAYS": "10",
        "MARKETLOOP_GSC_BASE_URL": fakes.urls["gsc"],
        "MARKETLOOP_GSC_INITIAL_DAYS": "10",
        "MARKETLOOP_HUBSPOT_BASE_URL": fakes.urls["hubspot"],
        "MARKETLOOP_HUBSPOT_TOKEN": HUBSPOT_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    return fakes


def _pipeline(tmp_path: Path, destination: Any) -> Any:
    return dlt.pipeline(
        pipeline_name="marketing",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=destination,
        dataset_name="marketing",
    )


def _run_all(pipeline: Any) -> dict[str, int]:
    """The three sources, as a dlt user would run them; rows per table."""
    counts: dict[str, int] = {}
    for source in (
        sources.ga4(PROPERTY, today=TODAY),
        sources.gsc(SITE, today=TODAY).with_resources("search_analytics"),
        sources.hubspot(["contacts", "companies"]),
    ):
        pipeline.run(source)
        counts |= pipeline.last_trace.last_normalize_info.row_counts
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def test_the_sources_load_into_a_plain_duckdb_pipeline_and_resume(
    configured: Fakes, tmp_path: Path
) -> None:
    warehouse = tmp_path / "mine.duckdb"
    pipeline = _pipeline(tmp_path, dlt.destinations.duckdb(str(warehouse)))
    first = _run_all(pipeline)
    pages_per_day = len(configured.ga4.properties[PROPERTY][1])
    assert first["pages"] == 10 * pages_per_day and first["traffic_sources"] == 10 * 6
    assert first["search_analytics"] > 0 and first["contacts"] > 0 and first["companies"] > 0

    requests = configured.hubspot.requests
    second = _run_all(pipeline)
    # the cursors are dlt's: GA4 and Search Console re-read only the lookback (3 days + today)
    assert second["pages"] == 4 * pages_per_day
    state = pipeline.state["sources"]["ga4"]["resources"]["pages"]["incremental"]["date"]
    assert str(state["last_value"]) == TODAY.isoformat()
    assert configured.hubspot.requests - requests < 10  # searched, not listed again

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marketing'"
        ).fetchall()}  # fmt: skip
        dupes = con.execute(
            "SELECT count(*) FROM (SELECT date, host_name, page_path FROM marketing.pages "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
    assert {"pages", "traffic_sources", "search_analytics", "contacts", "companies"} <= tables
    assert dupes == (0,)  # merged on the re-read days, not appended


@pytest.mark.postgres
def test_the_same_sources_load_into_postgresql(
    configured: Fakes, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    # dlt insists on a password; the test server trusts local connections and never asks
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD", "unused")
    pipeline = _pipeline(tmp_path, dlt.destinations.postgres(postgres_url))
    loaded = _run_all(pipeline)
    with psycopg.connect(postgres_url) as con:
        row = con.execute("SELECT count(*) FROM marketing.pages").fetchone()
    assert row == (loaded["pages"],)


def test_a_backfill_reads_exactly_its_days_and_leaves_the_cursor(
    configured: Fakes, tmp_path: Path
) -> None:
    from datetime import date

    pipeline = _pipeline(tmp_path, dlt.destinations.duckdb(str(tmp_path / "b.duckdb")))
    pipeline.run(sources.ga4(PROPERTY, ["pages"], today=TODAY))
    pipeline.run(
        sources.ga4(PROPERTY, ["pages"], start=date(2024, 5, 1), end=date(2024, 5, 2), today=TODAY)
    )
    pages_per_day = len(configured.ga4.properties[PROPERTY][1])
    assert pipeline.last_trace.last_normalize_info.row_counts["pages"] == 2 * pages_per_day
    state = pipeline.state["sources"]["ga4"]["resources"]["pages"]["incremental"]["date"]
    assert str(state["last_value"]) == TODAY.isoformat()


def test_the_lookback_reaches_behind_a_short_first_window(
    configured: Fakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt never lags a cursor past its initial value; the first window (one day here) must not
    cut the next day's lookback."""
    from datetime import timedelta

    monkeypatch.setenv("MARKETLOOP_GA4_INITIAL_DAYS", "1")
    pipeline = _pipeline(tmp_path, dlt.destinations.duckdb(str(tmp_path / "c.duckdb")))
    pipeline.run(sources.ga4(PROPERTY, ["pages"], today=TODAY - timedelta(days=1)))
    pages_per_day = len(configured.ga4.properties[PROPERTY][1])
    assert pipeline.last_trace.last_normalize_info.row_counts["pages"] == pages_per_day
    pipeline.run(sources.ga4(PROPERTY, ["pages"], today=TODAY))  # a day later
    # from the newest day loaded (yesterday) less the 3-day lookback, to today
    assert pipeline.last_trace.last_normalize_info.row_counts["pages"] == 5 * pages_per_day
