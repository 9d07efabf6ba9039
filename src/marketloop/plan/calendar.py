"""The sprint calendar: how plan day numbers map to dates, and business-day arithmetic.

Day numbers are calendar days: day N falls on `start + (N - 1)` days. A date is a business day
unless its weekday is in `weekend` (or it is a listed holiday); weekend dates are where buffer
days sit. Slips, slack and variance are counted in business days. Everything is pure and works
on `datetime.date`; `local` and `end_of_day` tie dates to instants in the plan's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_SCAN = 366  # a calendar with no business day in a year is a configuration error


@dataclass(frozen=True)
class SprintCalendar:
    start: date
    tz: ZoneInfo
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Monday is 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=day - 1)

    def day_of(self, when: date) -> int:
        return (when - self.start).days + 1

    def is_business_day(self, when: date) -> bool:
        return when.weekday() not in self.weekend and when not in self.holidays

    def next_business_day(self, when: date) -> date:
        """The first business day strictly after `when`."""
        for offset in range(1, _MAX_SCAN):
            candidate = when + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError("the calendar has no business day within a year")

    def prev_business_day(self, when: date) -> date:
        """The last business day strictly before `when`."""
        for offset in range(1, _MAX_SCAN):
            candidate = when - timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError("the calendar has no business day within a year")

    def on_or_after(self, when: date) -> date:
        return when if self.is_business_day(when) else self.next_business_day(when)

    def add_business_days(self, when: date, days: int) -> date:
        """Move `days` business days later (0 keeps the date, even on a weekend)."""
        for _ in range(days):
            when = self.next_business_day(when)
        return when

    def business_days_between(self, first: date, second: date) -> int:
        """Business days in (first, second]; negative when `second` is before `first`."""
        if second < first:
            return -self.business_days_between(second, first)
        return sum(
            self.is_business_day(first + timedelta(days=i))
            for i in range(1, (second - first).days + 1)
        )

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)

    def local_date(self, instant: datetime) -> date:
        return self.local(instant).date()

    def at_time(self, when: date, clock: time) -> datetime:
        return datetime.combine(when, clock, tzinfo=self.tz)

    def end_of_day(self, when: date) -> datetime:
        """The instant a day closes: midnight at its end, in the plan's time zone."""
        return datetime.combine(when + timedelta(days=1), time(0), tzinfo=self.tz)
