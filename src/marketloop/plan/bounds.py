"""What an event or a moment may hold before it reaches the log or the rules (pure).

A plan is read and recorded within its window: from a year before the sprint starts to a year
after its last day. Outside it the calendar arithmetic means nothing (and, near year 9999,
overflows), so a moment outside it is refused with the range, and so is an event that would
move the schedule's end beyond it. A slip is 1 to `MAX_SLIP_DAYS` business days; a reason is
at most `MAX_REASON` characters, a person's name (`plan ack --by`) 1 to `MAX_NAME`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from marketloop.errors import ConfigError, PlanError, UsageError
from marketloop.plan.events import MAX_SLIP_DAYS
from marketloop.plan.model import Plan

MARGIN = timedelta(days=366)
MAX_REASON = 2_000
MAX_NAME = 120  # the event log's actor column


def window(plan: Plan) -> tuple[date, date]:
    """The first and last date a plan can be read at or record an event at."""
    sprint = plan.sprint
    return sprint.start - MARGIN, sprint.date_of(plan.last_day) + MARGIN


def parse_moment(text: str | None, plan: Plan, what: str = "--at") -> datetime:
    """The moment `text` names (ISO 8601; a bare date is the start of that day; read in the
    plan's time zone unless it carries an offset), within the plan's window; None: now."""
    if text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{what} {text!r} is not a date or date-time",
            hint="use ISO 8601, e.g. 2026-12-14, 2026-12-14T16:30 or 2026-12-14T16:30-08:00",
        ) from None
    if len(text) == 10:  # a bare date: the start of that day
        parsed = datetime.combine(parsed.date(), time(0))
    return check_moment(plan, parsed if parsed.tzinfo else parsed.replace(tzinfo=plan.sprint.tz))


def check_moment(plan: Plan, when: datetime, what: str = "--at") -> datetime:
    """`when`, if it falls in the plan's window; else a usage error naming the window."""
    first, last = window(plan)
    try:
        day = plan.sprint.local_date(when)
    except OverflowError:
        day = date.max if when.year > first.year else date.min
    if not first <= day <= last:
        raise UsageError(
            f"{what} {when:%Y-%m-%d} is outside plan {plan.id}'s window",
            hint=f"use a moment from {first} to {last} (a year either side of the sprint)",
        )
    return when


def check_slip(days: int) -> None:
    if not 1 <= days <= MAX_SLIP_DAYS:
        raise UsageError(
            f"a slip must be 1 to {MAX_SLIP_DAYS} business days, not {days}",
            hint="record a longer delay as a re-baseline, or split the task",
        )


def check_reason(reason: str) -> None:
    if len(reason) > MAX_REASON:
        raise UsageError(f"a reason must be at most {MAX_REASON} characters, not {len(reason)}")


def check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_NAME:
        raise UsageError(
            f"a name must be 1 to {MAX_NAME} characters, not {len(name.strip())}",
            hint="--by names who acknowledges, e.g. --by sam.jackson",
        )


def check_end(plan: Plan, end: date) -> None:
    """Refuse an event that moves the forecast end beyond the plan's window."""
    _, last = window(plan)
    if end > last:
        raise PlanError(
            f"nothing recorded: the forecast end would move to {end}, beyond {last}, "
            f"the end of plan {plan.id}'s window",
            hint="record a smaller slip, or re-baseline the plan",
        )
