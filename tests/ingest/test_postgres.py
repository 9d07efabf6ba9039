"""The same loads into the real PostgreSQL at 127.0.0.1:5432 (`[warehouse] destination =
"postgres"`): types, merges, incremental runs and a failed run; then `quality run` on what
was loaded, with the same settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from marketloop.errors import IngestError
from marketloop.ingest.jobs import ingest_file, ingest_ga4, ingest_gsc, ingest_hubspot
from marketloop.ingest.pipeline import destination_label
from marketloop.workspace import Workspace

from .conftest import PROPERTY, SITE, TODAY, Fakes, Google, make_settings, query, snapshot

pytestmark = pytest.mark.postgres


def test_google_sources_merge_into_postgres(
    workspace: Workspace, fakes: Fakes, google: Google, postgres_url: str
) -> None:
    settings = make_settings(workspace, fakes, google, postgres_url, gsc={"retries": 0})
    assert destination_label(settings) == f"postgres {postgres_url}"
    ingest_ga4(settings, PROPERTY, today=TODAY, start=date(2024, 6, 25), reports=["pages"])
    fakes.ga4.revision += 1
    ingest_ga4(settings, PROPERTY, today=TODAY, reports=["pages"])
    dupes = query(settings, "SELECT count(*) - count(DISTINCT (date, page_path)) FROM ga4.pages")
    assert dupes == [(0,)]
    types = dict(
        query(
            settings,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'ga4' AND table_name = 'pages'",
        )
    )
    assert types["date"] == "date" and types["sessions"] == "bigint"
    assert types["total_revenue"] == "double precision" and types["is_other_row"] == "boolean"

    ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 26))
    before = snapshot(settings, "gsc.search_analytics")
    fakes.gsc.faults.fail_on_page = fakes.gsc.faults.pages + 1
    with pytest.raises(IngestError, match="HTTP 500"):
        ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 20))
    assert snapshot(settings, "gsc.search_analytics") == before
    loads = query(settings, "SELECT count(*) FROM gsc._dlt_loads")
    assert loads == [(1,)]  # the failed run left no load behind


def test_hubspot_and_files_into_postgres(
    workspace: Workspace, fakes: Fakes, google: Google, postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(workspace, fakes, google, postgres_url)
    ingest_hubspot(settings)
    fakes.hubspot.data.modify("contacts", 4, lifecyclestage="customer")
    fakes.hubspot.data.archive("companies", 2)
    ingest_hubspot(settings)
    contact = fakes.hubspot.data.ident("contacts", 4)
    assert query(
        settings, f"SELECT lifecyclestage FROM hubspot.contacts WHERE id = '{contact}'"
    ) == [("customer",)]
    company = fakes.hubspot.data.ident("companies", 2)
    assert query(settings, f"SELECT archived FROM hubspot.companies WHERE id = '{company}'") == [
        (True,)
    ]
    assert query(settings, "SELECT count(*) - count(DISTINCT id) FROM hubspot.contacts") == [(0,)]

    path = tmp_path / "keywords.csv"
    path.write_text("keyword,volume\nmarketing automation,5400\n")
    assert ingest_file(settings, path, "keywords").loaded == {"keywords": 1}
    assert query(settings, "SELECT keyword, volume FROM files.keywords") == [
        ("marketing automation", 5400)
    ]


def test_quality_checks_what_ingest_loaded_with_one_warehouse_setting(
    workspace: Workspace, fakes: Fakes, google: Google, postgres_url: str
) -> None:
    from marketloop.quality.run import run_quality

    old_data = {"data_warn_days": 9999, "data_error_days": 9999}  # the fakes serve June 2024
    quality = {"freshness": dict.fromkeys(("ga4", "gsc", "hubspot"), old_data)}
    settings = make_settings(workspace, fakes, google, postgres_url, quality=quality)
    ingest_ga4(settings, PROPERTY, today=TODAY, start=date(2024, 6, 24))
    ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 24))
    ingest_hubspot(settings)
    report = run_quality(settings)  # the same settings: [warehouse] is the only place it is named
    assert report["warehouse"] == postgres_url
    assert report["status"] == "pass", report["reasons"]
    assert set(report["summary"]["models"]) == set(report["summary"]["tests"]) == {"pass"}
    pages = query(settings, "SELECT count(*) FROM marketloop_marts.page_performance")
    assert pages[0][0] > 0
