"""Pure cores: zipping positional API rows with their headers, typing, date windows."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from marketloop.config import load_settings
from marketloop.errors import ConfigError, IngestError
from marketloop.ingest.ga4 import report_table, snake
from marketloop.ingest.gsc import rows_table
from marketloop.ingest.hubspot_rows import inline_links, records_table
from marketloop.ingest.pipeline import destination_label
from marketloop.ingest.windows import DateWindow, advance, parse_day, plan_window, read_window

CASES = Path(__file__).parent / "cases"


def _case(name: str) -> dict[str, Any]:
    return json.loads((CASES / name).read_text())


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}
        for row in rows
    ]


def test_ga4_rows_are_zipped_with_headers_and_typed_from_metric_headers() -> None:
    case = _case("ga4_run_report.json")
    table = report_table(case["response"], case["property_id"])
    assert _plain(table.to_pylist()) == case["expected"]
    types = {field.name: str(field.type) for field in table.schema}
    assert types["date"] == "date32[day]"
    assert types["sessions"] == "int64"  # TYPE_INTEGER
    assert types["total_revenue"] == types["average_session_duration"] == "double"


def test_ga4_empty_response_has_the_columns_but_no_rows() -> None:
    response = _case("ga4_run_report.json")["response"]
    empty = {k: v for k, v in response.items() if k not in ("rows", "rowCount")}
    table = report_table(empty, "1")
    assert table.num_rows == 0
    assert "page_path" in table.column_names


@pytest.mark.parametrize(
    ("api_name", "column"),
    [("hostName", "host_name"), ("screenPageViews", "screen_page_views"), ("date", "date")],
)
def test_ga4_names_become_dlt_snake_case(api_name: str, column: str) -> None:
    assert snake(api_name) == column


def test_gsc_keys_follow_the_requested_dimension_order() -> None:
    case = _case("gsc_query.json")
    table = rows_table(case["rows"], case["site_url"], "web", "final")
    assert _plain(table.to_pylist()) == case["expected"]
    assert str(table.schema.field("clicks").type) == "int64"


def test_hubspot_records_are_typed_and_archived_ones_marked() -> None:
    case = _case("hubspot_contacts.json")
    table = records_table("contacts", case["records"], ["favorite_color"])
    assert _plain(table.to_pylist()) == case["expected"]
    links = inline_links("contacts", case["records"])
    assert [tuple(row.values()) for row in links.to_pylist()] == [
        tuple(pair) for pair in case["expected_links"]
    ]


TODAY = date(2024, 6, 30)
WINDOWS = [
    # start, end, cursor, lookback, initial → expected window
    (None, None, None, 3, 90, ("2024-04-02", "2024-06-30")),  # first run
    (None, None, date(2024, 6, 20), 3, 90, ("2024-06-17", "2024-06-30")),  # incremental
    (None, None, date(2024, 6, 30), 0, 90, ("2024-06-30", "2024-06-30")),  # no lookback
    (date(2024, 1, 1), date(2024, 1, 31), date(2024, 6, 20), 3, 90, ("2024-01-01", "2024-01-31")),
    (None, date(2024, 6, 25), None, 3, 5, ("2024-06-21", "2024-06-25")),
]


@pytest.mark.parametrize(("start", "end", "cursor", "lookback", "initial", "expected"), WINDOWS)
def test_plan_window(
    start: date | None,
    end: date | None,
    cursor: date | None,
    lookback: int,
    initial: int,
    expected: tuple[str, str],
) -> None:
    window = plan_window(
        today=TODAY,
        start=start,
        end=end,
        cursor=cursor,
        lookback_days=lookback,
        initial_days=initial,
    )
    assert (window.start.isoformat(), window.end.isoformat()) == expected
    assert window.days == len(window.dates())


def test_an_empty_date_range_is_a_clear_error() -> None:
    with pytest.raises(IngestError, match=r"empty date range: 2024-06-10 is after 2024-06-01"):
        plan_window(
            today=TODAY,
            start=date(2024, 6, 10),
            end=date(2024, 6, 1),
            cursor=None,
            lookback_days=3,
            initial_days=90,
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("today", TODAY),
        ("yesterday", date(2024, 6, 29)),
        ("7daysAgo", date(2024, 6, 23)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


def test_parse_day_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="not a date"):
        parse_day("last tuesday", TODAY)


def test_the_cursor_only_moves_forward() -> None:
    assert advance(None, None) is None
    assert advance(date(2024, 6, 1), None) == date(2024, 6, 1)
    assert advance(date(2024, 6, 1), date(2024, 5, 1)) == date(2024, 6, 1)
    assert advance(date(2024, 6, 1), date(2024, 6, 5)) == date(2024, 6, 5)
    assert str(DateWindow(date(2024, 6, 1), date(2024, 6, 2))) == "2024-06-01..2024-06-02"


def test_read_window_reads_from_the_saved_cursor_and_moves_it_to_the_newest_day() -> None:
    cursors = {"site-a": "2024-06-20", "site-b": "2024-01-01"}
    seen: list[DateWindow] = []

    def pages(window: DateWindow) -> list[pa.Table]:
        seen.append(window)
        days = [date(2024, 6, 18), date(2024, 6, 27)]
        return [pa.table({"date": days[:1]}), pa.table({"date": days[1:]})]

    common: dict[str, Any] = {"today": TODAY, "start": None, "end": None, "initial_days": 90}
    tables = list(read_window(cursors, "site-a", pages, lookback_days=3, **common))
    assert len(tables) == 2 and str(seen[0]) == "2024-06-17..2024-06-30"
    assert cursors == {"site-a": "2024-06-27", "site-b": "2024-01-01"}
    list(
        read_window(
            cursors, "site-c", lambda _: [pa.table({"date": []})], lookback_days=3, **common
        )
    )
    assert "site-c" not in cursors  # nothing arrived: no cursor yet


@pytest.mark.parametrize(
    ("destination", "credentials", "label"),
    [
        (
            "postgres",
            "postgresql://loader:s3cret@db.internal:5432/wh",
            "postgres postgresql://loader:***@db.internal:5432/wh",
        ),
        ("duckdb", "/data/wh.duckdb", "duckdb /data/wh.duckdb"),
        ("motherduck", "md:?motherduck_token=abcdefghij", "motherduck (connection string hidden)"),
        (
            "postgres",
            "postgresql://h/wh?password=x&sslmode=require",
            "postgres postgresql://h/wh?password=***&sslmode=require",
        ),
    ],
)
def test_the_destination_label_never_shows_a_password(
    destination: str, credentials: str, label: str
) -> None:
    settings = load_settings(
        overrides={"warehouse": {"destination": destination, "credentials": credentials}}
    )
    assert destination_label(settings) == label


@pytest.mark.parametrize(
    "text",
    [
        "99999999999daysAgo",
        "800000daysAgo",
        "9" * 5000 + "daysAgo",
        "9999-12-31",
        "0001-01-01",
        "1999-12-31",
    ],
)
def test_parse_day_refuses_days_outside_the_range_and_names_it(text: str) -> None:
    with pytest.raises(ConfigError, match="outside the days") as raised:
        parse_day(text, TODAY)
    assert "2005-01-01" in str(raised.value) and "2024-06-30" in str(raised.value)
