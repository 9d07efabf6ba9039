"""The incremental cursors of the date-partitioned sources (GA4, Search Console), as
`dlt.sources.incremental` on the `date` column, kept in dlt's state with the data:

    first run        `initial_value`: the last `initial_days` days up to today
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
    """The `dlt.sources.incremental` for one run (see the module docstring)."""
    last = end or today
    first = start or last - timedelta(days=initial_days - 1)
    if first > last:
        raise IngestError(
            f"empty date range: {first.isoformat()} is after {last.isoformat()}",
            hint="pass a --start on or before --end (dates are inclusive)",
        )
    return dlt.sources.incremental(
        "date",
        initial_value=first,
        end_value=end + timedelta(days=1) if end else None,
        lag=lookback_days or None,
        primary_key=(),
    )


def date_window(cursor: Any, first: date | None, last: date) -> DateWindow:
    """The days a bound cursor asks for, up to `last`; from `first` for a backfill (which also
    moves the cursor's filter, or rows before its start would be dropped)."""
    if first is not None:
        cursor.start_value = first
    start = cursor.start_value or last
    return DateWindow(min(start, last), last)
