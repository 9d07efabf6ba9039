"""Which days a date-partitioned source (GA4, Search Console) reads in one run.

    first run        the last `initial_days` days up to today
    later runs       from the saved cursor (the newest day loaded) minus `lookback_days`, so
                     late corrections land
    --start/--end    exactly those days (a backfill); the cursor never moves backwards

`read_window` runs one such read: the window from the cursor saved under a key, the pages
read for it, then the cursor moved to the newest day that arrived.

Days are inclusive, as in both Google APIs. Dates accept YYYY-MM-DD, `today`, `yesterday` or
`NdaysAgo` (GA4's spelling), from `FIRST_DAY` (before either API kept data) to today; a date
outside that range is a ConfigError naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from marketloop.errors import ConfigError, IngestError

_DAYS_AGO = re.compile(r"^(\d+)daysAgo$")
#: the earliest day a window may start: before Google Analytics and Search Console kept data
FIRST_DAY = date(2005, 1, 1)


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_day(text: str, today: date) -> date:
    """A date as the CLI accepts it; a clear ConfigError otherwise."""
    value = text.strip()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    match = _DAYS_AGO.match(value)
    if match:
        ago = _days_ago(match.group(1), limit=(today - FIRST_DAY).days + 1)
        return _in_range(text, today - timedelta(days=ago), today)
    try:
        return _in_range(text, date.fromisoformat(value), today)
    except ValueError:
        raise ConfigError(
            f"{text[:40]!r} is not a date", hint="use YYYY-MM-DD, today, yesterday or NdaysAgo"
        ) from None


def _days_ago(digits: str, limit: int) -> int:
    """N of NdaysAgo, at most `limit` (a number with a million digits is just too many days)."""
    digits = digits.lstrip("0") or "0"
    return limit if len(digits) > len(str(limit)) else min(int(digits), limit)


def _in_range(text: str, day: date, today: date) -> date:
    if not FIRST_DAY <= day <= today:
        raise ConfigError(
            f"{text[:40]!r} is outside the days a source can be read for",
            hint=f"use a day from {FIRST_DAY} to today ({today})",
        )
    return day


def plan_window(
    *,
    today: date,
    start: date | None,
    end: date | None,
    cursor: date | None,
    lookback_days: int,
    initial_days: int,
) -> DateWindow:
    """The days to read now (see the module docstring); an empty range is an IngestError."""
    last = end or today
    if start is not None:
        first = start
    elif cursor is not None:
        first = cursor - timedelta(days=lookback_days)
    else:
        first = last - timedelta(days=initial_days - 1)
    if first > last:
        raise IngestError(
            f"empty date range: {first.isoformat()} is after {last.isoformat()}",
            hint="pass a --start on or before --end (dates are inclusive)",
        )
    return DateWindow(first, last)


def advance(cursor: date | None, newest: date | None) -> date | None:
    """The cursor after a load: the newest day that arrived, never earlier than before.

    Days the API had no data for yet (Search Console's final data lags by ~3 days) are read
    again next time rather than skipped."""
    if newest is None:
        return cursor
    return newest if cursor is None else max(cursor, newest)


def newest_day(table: pa.Table, column: str = "date") -> date | None:
    """The latest date in a page (None for an empty page)."""
    if table.num_rows == 0:
        return None
    value = pc.max(table.column(column)).as_py()
    return value if isinstance(value, date) else None


def read_window(
    cursors: MutableMapping[str, str],
    key: str,
    pages: Callable[[DateWindow], Iterable[pa.Table]],
    *,
    today: date,
    start: date | None,
    end: date | None,
    lookback_days: int,
    initial_days: int,
) -> Iterator[pa.Table]:
    """Yield `pages(window)` for the days this run reads, then save under `cursors[key]` the
    newest day that arrived (ISO date; untouched when nothing did)."""
    saved = date.fromisoformat(cursors[key]) if key in cursors else None
    window = plan_window(
        today=today,
        start=start,
        end=end,
        cursor=saved,
        lookback_days=lookback_days,
        initial_days=initial_days,
    )
    newest = saved
    for table in pages(window):
        newest = advance(newest, newest_day(table))
        yield table
    if newest is not None:
        cursors[key] = newest.isoformat()
