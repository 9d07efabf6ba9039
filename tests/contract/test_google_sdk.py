"""Google's official clients against the GA4 and Search Console fakes: google-analytics-data
(REST transport) for `runReport`, google-api-python-client for `searchAnalytics.query` — the
calls marketloop's ingest makes — with their parsed answers and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.analytics.data_v1beta import BetaAnalyticsDataClient, MetricType
from google.api_core import exceptions as core_exceptions
from googleapiclient.errors import HttpError
from tests.contract.contract import Served
from tests.contract.services import GA4, SEARCH_CONSOLE, ga4_report, ga4_sdk, gsc_query, gsc_sdk


@pytest.fixture
def gsc() -> Iterator[tuple[Served, Any]]:
    with SEARCH_CONSOLE.start() as served:
        sdk = gsc_sdk(served, served.token)
        yield served, sdk
        sdk.close()


@pytest.fixture
def ga4() -> Iterator[tuple[Served, BetaAnalyticsDataClient]]:
    with GA4.start() as served:
        sdk = ga4_sdk(served, served.token)
        yield served, sdk
        sdk.transport.close()


def test_search_analytics_pages_by_start_row(gsc: tuple[Served, Any]) -> None:
    _, sdk = gsc
    dims = ["date", "query", "page", "country", "device"]
    first = gsc_query(sdk, dimensions=dims, rowLimit=5, startRow=0, dataState="final")
    second = gsc_query(sdk, dimensions=dims, rowLimit=5, startRow=5, dataState="final")
    assert len(first["rows"]) == len(second["rows"]) == 5
    assert all(len(row["keys"]) == 5 for row in first["rows"])
    assert first["rows"] != second["rows"]
    past = gsc_query(sdk, dimensions=dims, startRow=10**9)
    assert "rows" not in past  # Search Console answers an empty page without `rows`


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"dimensionFilterGroups": [{"filters": []}]}, "dimensionFilterGroups"),
        ({"orderBy": "clicks"}, 'Unknown name "orderBy"'),
        ({"aggregationType": "byProperty"}, "aggregationType"),
        ({"rowLimit": 25_001}, "rowLimit"),
    ],
)
def test_search_analytics_refusals(
    gsc: tuple[Served, Any], body: dict[str, Any], named: str
) -> None:
    _, sdk = gsc
    with pytest.raises(HttpError) as caught:
        gsc_query(sdk, **body)
    assert caught.value.status_code == 400 and named in caught.value.reason


def test_search_analytics_unknown_site_is_403(gsc: tuple[Served, Any]) -> None:
    _, sdk = gsc
    request = sdk.searchanalytics().query(
        siteUrl="https://elsewhere.example/",
        body={"startDate": "2024-01-01", "endDate": "2024-01-02"},
    )
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 403


def test_run_report_parses_typed_headers_and_quota(
    ga4: tuple[Served, BetaAnalyticsDataClient],
) -> None:
    _, sdk = ga4
    report = ga4_report(
        sdk,
        dimensions=[{"name": "date"}, {"name": "pagePath"}],
        metrics=[{"name": "sessions"}, {"name": "engagementRate"}],
        limit=10,
        return_property_quota=True,
    )
    assert [h.name for h in report.dimension_headers] == ["date", "pagePath"]
    assert [h.type_ for h in report.metric_headers] == [
        MetricType.TYPE_INTEGER,
        MetricType.TYPE_FLOAT,
    ]
    assert len(report.rows) == 10 and report.row_count > 10
    assert report.property_quota.tokens_per_day.consumed >= 1
    nxt = ga4_report(sdk, dimensions=[{"name": "date"}, {"name": "pagePath"}], limit=10, offset=10)
    assert nxt.rows[0] != report.rows[0]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"order_bys": [{"metric": {"metric_name": "sessions"}}]}, "orderBys"),
        ({"keep_empty_rows": True}, "keepEmptyRows"),
        ({"metrics": [{"name": "bounciness"}]}, "bounciness"),
    ],
)
def test_run_report_refusals(
    ga4: tuple[Served, BetaAnalyticsDataClient], fields: dict[str, Any], named: str
) -> None:
    _, sdk = ga4
    with pytest.raises(core_exceptions.BadRequest) as caught:
        ga4_report(sdk, **fields)
    assert named in caught.value.message


def test_run_report_unknown_property(ga4: tuple[Served, BetaAnalyticsDataClient]) -> None:
    _, sdk = ga4
    with pytest.raises(core_exceptions.GoogleAPICallError) as caught:
        ga4_report(sdk, property="properties/999")
    assert caught.value.code in (403, 404)
