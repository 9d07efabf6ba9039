"""The incremental cursors of the date-partitioned sources (GA4, Search Console), as
`dlt.sources.incremental` on the `date` column, kept in dlt's state with the data:

    first run        the last `initial_days` days up to today
    later runs       the newest day loaded, less `lookback_days` (dlt's `lag`, in days for a date
                     cursor), so late corrections land; the cursor never moves backwards
    start given      read from there (a backfill); the cursor still only moves forwards
    end given        dlt's `end_value` (exclusive, so the day after): exactly those days, and
                     the saved cursor is left as it was

Rows are never deduplicated at the boundary (`primary_key=()`): a run replaces the whole days it
read (merge on the date), so re-read days must arrive complete.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dlt

from marketloop.errors import IngestError
from marketloop.ingest.windows import DateWindow

# the default of a resource's `cursor` parameter, which makes dlt bind the incremental passed
# in its place (the one date_cursor makes)
ANY_DATE: dlt.sources.incremental[date] = dlt.sources.incremental("date")


def date_cursor(
    *, today: date, start: date | None, end: date | None, lookback_days: int, initial_days: int
) -> Any:
    """The `dlt.sources.incremental` for one run (see the module docstring).

    Without `end` it has no `initial_value`: dlt never lags a cursor past its initial value,
    which would move with today and cut the lookback; `date_window` sets the first run's start.
    """
    last = end or today
    first = start or first_day(last, initial_days)
    if first > last:
        raise IngestError(
            f"empty date range: {first.isoformat()} is after {last.isoformat()}",
            hint="pass a --start on or before --end (dates are inclusive)",
        )
    return dlt.sources.incremental(
        "date",
        initial_value=first if end else None,
        end_value=end + timedelta(days=1) if end else None,
        lag=lookback_days or None,
        primary_key=(),
    )


def first_day(last: date, initial_days: int) -> date:
    return last - timedelta(days=initial_days - 1)


def date_window(cursor: Any, first: date | None, last: date, initial_days: int) -> DateWindow:
    """The days a bound cursor asks for, up to `last`: from `first` for a backfill, from the
    saved cursor less the lookback, or the last `initial_days` on a first run. The cursor's
    filter starts there too (rows before its start would be dropped otherwise)."""
    if first is None and cursor.start_value is None:
        first = first_day(last, initial_days)
    if first is not None:
        cursor.start_value = first
    start = cursor.start_value
    return DateWindow(min(start, last), last)
