"""The calendar export: the ICS and the CSV describe the same occurrences."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from dateutil.rrule import rrulestr
from icalendar import Calendar

from marketloop.plan.escalation import escalations
from marketloop.plan.events import fold
from marketloop.plan.export import entries, ics
from marketloop.plan.loader import parse_plan
from marketloop.plan.model import Plan
from marketloop.plan.rebaseline import verdict
from marketloop.plan.schedule import compute
from marketloop.plan.tracker import View

from .conftest import CASES

THURSDAY, SUNDAY = date(2026, 12, 10), date(2026, 12, 13)


def holiday_plan() -> Plan:
    """The minimal plan with a weekday holiday (day 4, made a buffer) and a Sunday holiday, and
    a weekend check-in next to the business-day stand-up."""
    text = (CASES / "minimal.yaml").read_text()
    text = text.replace(
        "  weekend: [sat, sun]\n", "  weekend: [sat, sun]\n  holidays: [2026-12-10, 2026-12-13]\n"
    )
    text = text.replace(
        "  - {id: day4, day: 4, focus: Docs, deliverable: Docs, owner: ann, role: lead, effort: 4}",
        "  - {id: day4, day: 4, kind: buffer, focus: Holiday, deliverable: Slack, "
        "swap_rule: pull backlog, owner: ann, role: lead, effort: 1, capacity: 4}",
    )
    text = text.replace("after: [day4, day5]", "after: [day5]")
    text += '    - {title: Check-in, at: "11:00", minutes: 15, on: weekend}\n'
    return parse_plan(text)


def view_of(plan: Plan, at: datetime) -> View:
    state = fold([])
    schedule = compute(plan, state, at)
    found = tuple(escalations(plan, state, schedule))
    return View(plan, at, state, schedule, found, verdict(plan, state, schedule))


def ics_occurrences(raw: bytes) -> dict[str, set[date]]:
    found: dict[str, set[date]] = defaultdict(set)
    for event in Calendar.from_ical(raw).walk("VEVENT"):
        title = str(event["SUMMARY"])
        if title.startswith("Due: "):
            continue
        start = event.decoded("DTSTART")
        days = {start.date()}
        if "RRULE" in event:
            rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
            days |= {d.date() for d in rule}
        for prop, sign in (("EXDATE", -1), ("RDATE", 1)):
            values = event.get(prop, [])
            for value in values if isinstance(values, list) else [values]:
                listed = {d.dt.date() for d in value.dts}
                days = days - listed if sign < 0 else days | listed
        found[title] |= days
    return dict(found)


def test_ics_and_csv_agree_on_holidays() -> None:
    plan = holiday_plan()
    view = view_of(plan, plan.sprint.at_time(plan.sprint.start, datetime.min.time()))
    csv: dict[str, set[date]] = defaultdict(set)
    for entry in entries(view):
        if entry.kind == "meeting":
            csv[entry.title].add(entry.date)
    assert THURSDAY not in csv["Stand-up"]  # a business-day meeting skips a holiday
    assert {THURSDAY, SUNDAY} <= csv["Check-in"]  # a weekend meeting meets on one
    assert ics_occurrences(ics(view)) == dict(csv)
