"""Search Console end to end against its fake, into DuckDB."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from marketloop.config import Settings
from marketloop.errors import CredentialError, IngestError
from marketloop.ingest.http import IngestUnavailable
from marketloop.ingest.jobs import ingest_gsc
from marketloop.workspace import Workspace

from .conftest import SITE, TODAY, Fakes, Google, make_settings, query, snapshot

TABLE = "gsc.search_analytics"
KEYS = "site_url, search_type, date, query, page, country, device"


def test_pages_by_start_row_until_an_empty_page(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, gsc={"row_limit": 100, "initial_days": 7})
    result = ingest_gsc(settings, SITE, today=TODAY)
    final_days = 4  # June 24..27: final data stops 3 days before today
    expected = final_days * fakes.gsc.rows_per_day
    assert result.loaded == {"search_analytics": expected}
    assert result.stats.pages["search_analytics"] == -(-expected // 100) + 1  # + the empty page
    assert query(settings, f"SELECT count(*) FROM (SELECT DISTINCT {KEYS} FROM {TABLE})") == [
        (expected,)
    ]
    row = query(settings, f"SELECT country, device, data_state, search_type FROM {TABLE} LIMIT 1")
    country, device, data_state, search_type = row[0]
    assert len(country) == 3 and country.islower()
    assert device in {"DESKTOP", "MOBILE", "TABLET"}
    assert (data_state, search_type) == ("final", "web")


def test_reruns_merge_and_land_late_corrections(settings: Settings, fakes: Fakes) -> None:
    ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 15))
    before = snapshot(settings, TABLE)[TABLE]
    fakes.gsc.revision += 1
    later = date(2024, 7, 2)
    fakes.gsc.today = later  # two days later: two more final days, the last ones revised
    second = ingest_gsc(settings, SITE, today=later)
    assert second.stats.rows["search_analytics"] == 6 * fakes.gsc.rows_per_day  # 24th..29th
    after = snapshot(settings, TABLE)[TABLE]
    assert len(after) == len(before) + 2 * fakes.gsc.rows_per_day
    dupes = query(
        settings, f"SELECT {KEYS}, count(*) FROM {TABLE} GROUP BY ALL HAVING count(*) > 1"
    )
    assert dupes == []
    revised = {row[2] for row in set(after) - set(before)}
    assert date(2024, 6, 28) in revised and min(revised) >= date(2024, 6, 24)


def test_data_state_all_reads_fresher_days(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, gsc={"data_state": "all"})
    ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 27))
    days = query(settings, f"SELECT DISTINCT date, data_state FROM {TABLE} ORDER BY 1")
    assert days == [(date(2024, 6, d), "all") for d in (27, 28, 29)]


def test_a_site_the_credentials_cannot_see_names_the_key(settings: Settings) -> None:
    with pytest.raises(CredentialError) as info:
        ingest_gsc(settings, "sc-domain:other.example", today=TODAY)
    assert "HTTP 403" in info.value.message and "sufficient permission" in info.value.message
    assert "service-account key" in info.value.message


def test_failures_mid_paging_load_nothing_then_resume(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(
        workspace, fakes, google, gsc={"row_limit": 50, "retries": 1, "initial_days": 5}
    )
    ingest_gsc(settings, SITE, today=TODAY)
    before = snapshot(settings, TABLE)
    fakes.gsc.revision += 1
    for fault in ("fail_on_page", "malformed_on_page"):
        setattr(fakes.gsc.faults, fault, fakes.gsc.faults.pages + 3)
        with pytest.raises(IngestError, match=r"HTTP 500|malformed JSON"):
            ingest_gsc(settings, SITE, today=TODAY)
        setattr(fakes.gsc.faults, fault, None)
        assert snapshot(settings, TABLE) == before
    ingest_gsc(settings, SITE, today=TODAY)
    assert snapshot(settings, TABLE) != before


def test_a_query_quota_is_waited_out(settings: Settings, fakes: Fakes) -> None:
    fakes.gsc.rate_limit = (1, 0.5)  # one query per half second
    result = ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 27))
    assert result.stats.retries == 1  # the empty last page came too soon: 429, Retry-After: 1
    assert result.loaded == {"search_analytics": fakes.gsc.rows_per_day}


def test_a_load_blocked_by_another_writer_is_finished_by_the_next_run(
    settings: Settings, fakes: Fakes, workspace: Workspace
) -> None:
    ingest_gsc(settings, SITE, today=TODAY, start=date(2024, 6, 26))
    before = snapshot(settings, TABLE)
    fakes.gsc.revision += 1
    command = [sys.executable, "-c", HOLD_LOCK, str(workspace.warehouse_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            with pytest.raises(IngestUnavailable, match="in use by another process"):
                ingest_gsc(settings, SITE, today=TODAY)
        finally:
            holder.kill()
    assert snapshot(settings, TABLE) == before
    ingest_gsc(settings, SITE, today=TODAY)  # loads the pending package first, then fetches
    after = snapshot(settings, TABLE)[TABLE]
    assert len(after) == 4 * fakes.gsc.rows_per_day  # June 24..27: the lookback from the 27th
    assert not set(before[TABLE]) & set(after)  # the 26th and 27th were revised
    assert query(settings, "SELECT count(*) FROM gsc._dlt_loads") == [(3,)]


HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""
