"""The demo's sample data keeps the warehouse contract, so the demo's dbt tests can pass."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from marketloop.quality.contract import CONTRACT
from marketloop.quality.sample import demo_data

DATA = demo_data(date(2026, 3, 15))


def test_every_contract_table_is_there() -> None:
    assert {d: set(t) for d, t in DATA.items()} == {d: set(t) for d, t in CONTRACT.items()}


@pytest.mark.parametrize(
    ("dataset", "table"), [(d, t) for d, tables in CONTRACT.items() for t in tables]
)
def test_rows_use_contract_columns_and_unique_keys(dataset: str, table: str) -> None:
    spec, rows = CONTRACT[dataset][table], DATA[dataset][table]
    assert rows
    assert all(set(row) <= set(spec.columns) for row in rows)
    if spec.key:
        keys = Counter(tuple(row[k] for k in spec.key) for row in rows)
        assert keys.most_common(1)[0][1] == 1


def test_dates_stop_before_today_and_search_console_lags() -> None:
    assert max(r["date"] for r in DATA["ga4"]["pages"]) == date(2026, 3, 14)
    assert max(r["date"] for r in DATA["gsc"]["search_analytics"]) == date(2026, 3, 12)
    assert {r["data_state"] for r in DATA["gsc"]["search_analytics"]} == {"final", "all"}
