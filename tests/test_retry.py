"""The retry parts every HTTP client shares: Retry-After parsing and capped backoff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketloop.retry import backoff, parse_retry_after

NOW = datetime(2024, 6, 30, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0.25", 0.25),
        ("0.5", 0.5),
        (" 7 ", 7.0),
        ("-1", 0.0),
        ("-4", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("Sun, 30 Jun 2024 12:00:10 GMT", 10.0),
        ("Sun, 30 Jun 2024 12:00:10 -0000", 10.0),
        ("Sun, 30 Jun 2024 11:59:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_a_date_counts_from_the_current_time_by_default() -> None:
    assert (parse_retry_after("Sun, 30 Jun 2999 12:00:00 GMT") or 0) > 365 * 86400


@pytest.mark.parametrize(
    ("attempt", "expected"), [(0, 0.5), (1, 1.0), (3, 4.0), (4, 8.0), (10, 8.0)]
)
def test_backoff_doubles_per_attempt_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff(attempt, 0.5, 8.0) == expected
