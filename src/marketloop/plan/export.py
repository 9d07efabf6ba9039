"""The plan as a calendar: stand-ups, check-ins and triage windows as recurring events in the
plan's time zone, and each task's due date (its forecast) as an all-day event.

`ics` writes RFC 5545 with the `icalendar` library (line folding at 75 octets, CRLF, escaping,
and a VTIMEZONE built from the IANA zone so every client agrees on the wall-clock times);
`entries` is the same calendar expanded to one row per occurrence, for CSV. Both follow one rule
(`_meets_on`): business-day meetings skip holidays, weekend meetings also meet on holidays; the
ICS writes it as a weekly RRULE on the weekdays, with EXDATE and RDATE for the holidays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

from marketloop.plan.calendar import WEEKDAYS
from marketloop.plan.model import Plan, Recurring
from marketloop.plan.tracker import View

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Entry:
    kind: str  # meeting or due
    date: date
    start: str  # HH:MM, empty for all-day
    end: str
    title: str
    task: str
    owner: str
    channel: str


def sprint_dates(view: View) -> list[date]:
    sprint = view.plan.sprint
    last = max(sprint.date_of(view.plan.last_day), view.schedule.end)
    return [sprint.start + timedelta(days=i) for i in range((last - sprint.start).days + 1)]


def _meets_on(plan: Plan, meeting: Recurring, when: date) -> bool:
    business = plan.sprint.is_business_day(when)
    return business if meeting.on == "business" else not business


def entries(view: View) -> list[Entry]:
    plan = view.plan
    found: list[Entry] = []
    for when in sprint_dates(view):
        for meeting in plan.cadence.meetings:
            if _meets_on(plan, meeting, when):
                start = datetime.combine(when, meeting.at)
                end = start + timedelta(minutes=meeting.minutes)
                found.append(
                    Entry(
                        "meeting",
                        when,
                        f"{start:%H:%M}",
                        f"{end:%H:%M}",
                        meeting.title,
                        "",
                        "",
                        meeting.channel or "",
                    )
                )
    for f in view.schedule.forecasts.values():
        task = plan.by_id[f.task]
        found.append(
            Entry(
                "due",
                f.date,
                "",
                "",
                f"Due: {task.id} {task.focus}",
                task.id,
                plan.owner_label(task),
                "",
            )
        )
    return sorted(found, key=lambda e: (e.date, e.start or "99", e.title))


def entry_rows(view: View) -> list[dict[str, Any]]:
    tz = view.plan.calendar.timezone
    return [{**e.__dict__, "timezone": tz} for e in entries(view)]


def ics(view: View, stamp: datetime | None = None) -> bytes:
    """The calendar as RFC 5545. DTSTAMP is `stamp` (default: now, in UTC: when this file was
    written, not the moment evaluated); a due date's SEQUENCE is the number of schedule events
    recorded so far, so a re-export after any change supersedes the earlier import; the
    VTIMEZONE covers the sprint's dates only."""
    plan = view.plan
    sprint = plan.sprint
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    dates = sprint_dates(view)
    cal = Calendar()
    cal.add("prodid", "-//marketloop//delivery plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.id} {plan.name}")
    cal.add("x-wr-timezone", plan.calendar.timezone)
    until = datetime.combine(dates[-1] + timedelta(days=1), datetime.min.time(), tzinfo=sprint.tz)
    for meeting in plan.cadence.meetings:
        meets = [d for d in dates if _meets_on(plan, meeting, d)]
        if not meets:
            continue
        by_rule = [d for d in dates if ICAL_DAYS[d.weekday()] in _days(plan, meeting)]
        first = by_rule[0] if by_rule else meets[0]
        event = VEvent()
        event.add("uid", f"{plan.id}-{_slug(meeting.title)}@marketloop")
        event.add("dtstamp", stamp)
        event.add("summary", meeting.title)
        event.add("dtstart", datetime.combine(first, meeting.at, tzinfo=sprint.tz))
        event.add("duration", timedelta(minutes=meeting.minutes))
        if by_rule:
            event.add(
                "rrule",
                {"freq": "weekly", "byday": _days(plan, meeting), "until": until.astimezone(UTC)},
            )
        # the weekday rule, corrected day by day to what `_meets_on` (and so the CSV) says
        skipped = [d for d in by_rule if d not in meets]  # a holiday on a rule day
        added = [d for d in meets if d not in by_rule and d != first]  # a weekday holiday
        if skipped:
            event.add(
                "exdate", [datetime.combine(d, meeting.at, tzinfo=sprint.tz) for d in skipped]
            )
        if added:
            event.add("rdate", [datetime.combine(d, meeting.at, tzinfo=sprint.tz) for d in added])
        if meeting.channel:
            event.add("location", meeting.channel)
        cal.add_component(event)
    for f in view.schedule.forecasts.values():
        task = plan.by_id[f.task]
        event = VEvent()
        event.add("uid", f"{plan.id}-{task.id}-due@marketloop")
        event.add("dtstamp", stamp)
        event.add("summary", f"Due: {task.id} {task.focus} ({plan.people[task.owner].name})")
        event.add("dtstart", f.date)
        event.add("dtend", f.date + timedelta(days=1))
        event.add(
            "description",
            f"{task.deliverable}\nOwner: {plan.owner_label(task)}\nBaseline: {f.baseline}; "
            f"status: {f.status}",
        )
        event.add("transp", "TRANSPARENT")
        event.add("sequence", view.state.changes)
        cal.add_component(event)
    cal.add_missing_timezones(first_date=sprint.start, last_date=dates[-1] + timedelta(days=1))
    return bytes(cal.to_ical())


def _days(plan: Plan, meeting: Recurring) -> list[str]:
    weekend = {WEEKDAYS.index(d) for d in plan.calendar.weekend}
    business = meeting.on == "business"
    return [ICAL_DAYS[i] for i in range(7) if (i in weekend) != business]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
