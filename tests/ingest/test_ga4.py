"""GA4 end to end against its fake, into DuckDB."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from marketloop.config import Settings
from marketloop.errors import ConfigError, IngestError
from marketloop.ingest.http import IngestUnavailable
from marketloop.ingest.jobs import ingest_ga4
from marketloop.workspace import Workspace

from .conftest import PROPERTY, TODAY, Fakes, Google, make_settings, query, snapshot

PAGES = "ga4.pages"


def _run(settings: Settings, **kwargs: object) -> dict[str, int]:
    return ingest_ga4(settings, PROPERTY, today=TODAY, **kwargs).loaded  # type: ignore[arg-type]


def test_both_default_reports_land_typed_with_every_page_read(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, ga4={"page_size": 100, "initial_days": 10})
    result = ingest_ga4(settings, PROPERTY, today=TODAY)
    pages_per_day = len(fakes.ga4.properties[PROPERTY][1])
    assert result.loaded == {"pages": 10 * pages_per_day, "traffic_sources": 10 * 6}
    assert result.stats.pages["pages"] == 2  # 110 rows at 100 per request
    assert result.stats.quota["tokens/day"] < 200_000
    types = dict(
        query(
            settings,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'ga4' AND table_name = 'pages'",
        )
    )
    assert types["date"] == "DATE"
    assert types["sessions"] == types["active_users"] == types["screen_page_views"] == "BIGINT"
    assert types["key_events"] == types["engagement_rate"] == types["total_revenue"] == "DOUBLE"
    assert {"is_other_row", "thresholding_applied", "_dlt_load_id", "_dlt_id"} <= set(types)
    first, last = query(settings, f"SELECT min(date), max(date) FROM {PAGES}")[0]
    assert (first, last) == (date(2024, 6, 21), TODAY)


def test_reruns_add_no_duplicates_and_late_corrections_land(
    settings: Settings, fakes: Fakes
) -> None:
    _run(settings, start=date(2024, 6, 1))
    before = snapshot(settings, PAGES)[PAGES]
    fakes.ga4.revision += 1  # GA4 reprocessed the last days
    second = _run(settings)  # incremental: the lookback re-reads from June 27
    assert second["pages"] == 4 * len(fakes.ga4.properties[PROPERTY][1])
    after = snapshot(settings, PAGES)[PAGES]
    assert len(after) == len(before)  # merged, not appended
    keys = "date, host_name, page_path"
    dupes = query(
        settings, f"SELECT {keys}, count(*) FROM {PAGES} GROUP BY ALL HAVING count(*) > 1"
    )
    assert dupes == []
    changed = {row[1] for row in set(after) - set(before)}  # row[1] is the date
    assert changed and min(changed) >= date(2024, 6, 28)  # only the reprocessed days changed


def test_other_rows_and_thresholding_are_flagged(settings: Settings, fakes: Fakes) -> None:
    fakes.ga4.other_row = True
    fakes.ga4.thresholding = True
    _run(settings, start=TODAY, reports=["pages"])
    rows = query(settings, f"SELECT page_path, is_other_row, thresholding_applied FROM {PAGES}")
    assert ("(other)", True, True) in rows
    assert all(flag == (path == "(other)") for path, flag, _ in rows)


def test_a_rejected_metric_is_named_with_where_to_fix_it(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    reports = {
        "pages": {"dimensions": ["date", "pagePath"], "metrics": ["sessions", "conversions"]}
    }
    settings = make_settings(workspace, fakes, google, ga4={"reports": reports})
    with pytest.raises(IngestError) as info:
        _run(settings, reports=["pages"])
    assert "Field conversions is not a valid metric" in info.value.message
    assert "fix conversions in [ga4.reports.pages]" in str(info.value)
    assert not workspace.warehouse_path.exists() or query(
        settings, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ga4'"
    ) == [(0,)]


def test_a_report_without_a_date_dimension_is_refused(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    reports = {"by_page": {"dimensions": ["pagePath"], "metrics": ["sessions"]}}
    with pytest.raises(ConfigError, match="needs the `date` dimension"):
        make_settings(workspace, fakes, google, ga4={"reports": reports})


def test_unknown_report_and_missing_property_are_clear(settings: Settings) -> None:
    with pytest.raises(IngestError, match="no GA4 report named blog"):
        _run(settings, reports=["blog"])
    with pytest.raises(ConfigError, match="no GA4 property given"):
        ingest_ga4(settings, None, today=TODAY)


def test_a_500_mid_paging_leaves_the_tables_unchanged_and_the_next_run_resumes(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(
        workspace, fakes, google, ga4={"page_size": 20, "retries": 1, "initial_days": 5}
    )
    _run(settings)
    before = snapshot(settings, PAGES, "ga4.traffic_sources")
    fakes.ga4.revision += 1
    fakes.ga4.faults.fail_on_page = fakes.ga4.faults.pages + 3  # the 3rd page of the next run
    with pytest.raises(IngestError, match="HTTP 500"):
        _run(settings, start=date(2024, 6, 20))
    assert snapshot(settings, PAGES, "ga4.traffic_sources") == before
    fakes.ga4.faults.fail_on_page = None
    resumed = _run(settings)
    assert resumed["pages"] == 4 * len(fakes.ga4.properties[PROPERTY][1])  # from the old cursor
    assert snapshot(settings, PAGES, "ga4.traffic_sources") != before


@pytest.mark.parametrize(
    ("spent", "period", "hours"),
    [("tokens_per_day", "per day", 24), ("tokens_per_hour", "per hour", 1)],
)
def test_a_spent_token_quota_stops_at_once_and_says_when_to_try_again(
    workspace: Workspace, fakes: Fakes, google: Google, spent: str, period: str, hours: int
) -> None:
    settings = make_settings(workspace, fakes, google, ga4={"retries": 5, "backoff": 0.01})
    setattr(fakes.ga4, spent, 1)  # enough for the first report's only page
    with pytest.raises(IngestUnavailable, match=f"Exhausted property tokens {period}") as spent_:
        ingest_ga4(settings, PROPERTY, today=TODAY)
    assert spent_.value.retry_after == hours * 3600
    assert "retrying now would fail; run again after" in str(spent_.value.hint)
    assert fakes.ga4.requests == 2  # the 429 was not retried
    assert not workspace.warehouse_path.exists()  # nothing was loaded


def test_the_fake_charges_every_report_and_refuses_once_spent(fakes: Fakes, google: Google) -> None:
    token = google.tokens.add_token("ya29.quota")
    url = f"{fakes.urls['ga4']}/v1beta/properties/{PROPERTY}:runReport"
    body = {
        "metrics": [{"name": "sessions"}],
        "dateRanges": [{"startDate": "yesterday", "endDate": "today"}],
    }
    headers = {"Authorization": f"Bearer {token}"}
    fakes.ga4.tokens_per_day = 2
    assert httpx.post(url, json=body, headers=headers).status_code == 200  # quota not asked for
    answer = httpx.post(url, json={**body, "returnPropertyQuota": True}, headers=headers)
    assert answer.json()["propertyQuota"]["tokensPerDay"]["remaining"] == 0
    refused = httpx.post(url, json=body, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert "Retry-After" not in refused.headers


def test_malformed_json_and_an_empty_range_load_nothing(settings: Settings, fakes: Fakes) -> None:
    fakes.ga4.faults.malformed_on_page = 1
    with pytest.raises(IngestError, match="malformed JSON"):
        _run(settings)
    with pytest.raises(IngestError, match="empty date range"):
        _run(settings, start=date(2024, 6, 30), end=date(2024, 6, 1))
    assert not Workspace(settings.workspace).warehouse_path.exists() or query(
        settings, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ga4'"
    ) == [(0,)]


def test_a_token_expiring_mid_run_is_refreshed_from_the_key(
    workspace: Workspace, fakes: Fakes, google: Google, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(workspace, fakes, google, ga4={"page_size": 2})
    monkeypatch.setattr(google.tokens, "max_uses", 2)  # each token dies after two pages
    exchanges = google.tokens.exchanges
    loaded = _run(settings, start=TODAY, reports=["traffic_sources"])
    assert loaded == {"traffic_sources": 6}  # all three pages of two rows
    assert google.tokens.exchanges == exchanges + 2  # the first token, then one refresh
