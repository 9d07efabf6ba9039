"""The plan file's schema: a delivery plan as typed, immutable data (pydantic).

A plan names roles and the people who hold them (with their contacts), phases, one task per
sprint day (work days and weekend buffer days), a backlog of Day 22+ items, fallback priority
classes, the escalation policy and the communication cadence. `loader.py` reads it from YAML
and maps every error back to a line; `checks.py` adds the rules a schema cannot express
(unknown owners, cycles, missing days, buffers on business days, ...).
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from marketloop import yamlguard
from marketloop.plan.calendar import WEEKDAYS, SprintCalendar

#: the dates a sprint may start on, and how many days it may run: plan arithmetic (slips,
#: windows a year either side) must stay far from date.max
FIRST_START, LAST_START, MAX_DAY = date(1970, 1, 1), date(2999, 12, 31), 3660


Ident = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
CHANNEL = r"^(slack:[#@][\w.-]+|pagerduty:[\w.-]+|email:[^@\s]+@[^@\s]+)$"
CHANNEL_KINDS = "slack:#channel, slack:@person, pagerduty:SERVICE or email:name@example.com"
Channel = Field(pattern=CHANNEL)


def _channel_name(value: str) -> str:
    if not re.match(CHANNEL, value):
        raise ValueError(f"{value[:200]!r} is not a channel (use {CHANNEL_KINDS})")
    return value


#: a channel a loop step sends to (`notify`, `plan.memo`'s `send`), refused at `loop check`
ChannelName = Annotated[str, AfterValidator(_channel_name)]


class Frozen(yamlguard.ExactNumbers):
    """Unknown keys are errors, and so are a boolean or nan/inf where a number is expected and
    anything but true or false where a boolean is (each with its line: loader.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _only_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        return yamlguard.only_boolean(cls, value, info)


class Role(Frozen):
    title: str = Field(min_length=1)


class Person(Frozen):
    name: str = Field(min_length=1)
    roles: tuple[str, ...] = Field(min_length=1)
    slack: str | None = Field(None, pattern=r"^@[\w.-]+$")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    pagerduty: str | None = Field(None, description="PagerDuty schedule name")


class Phase(Frozen):
    id: str = Ident
    name: str
    first_day: int = Field(ge=1, le=MAX_DAY)
    last_day: int = Field(ge=1, le=MAX_DAY)
    objectives: str = ""
    tooling: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before first_day {self.first_day}")
        return self


class Task(Frozen):
    id: str = Ident
    day: int = Field(ge=1, le=MAX_DAY)
    kind: Literal["work", "buffer"] = "work"
    focus: str = Field(min_length=1)
    deliverable: str = Field(min_length=1)
    owner: str
    role: str
    after: tuple[str, ...] = Field((), description="tasks that must finish first")
    prerequisites: tuple[str, ...] = Field((), description="external prerequisites, as text")
    effort: float = Field(gt=0, le=24, description="hours of work")
    swap_rule: str | None = Field(None, description="buffer days: what the buffer is for")
    capacity: float | None = Field(None, gt=0, description="buffer days: hours available")

    @model_validator(mode="after")
    def _buffer_fields(self) -> Task:
        if self.kind == "buffer":
            if not self.swap_rule or self.capacity is None:
                raise ValueError("a buffer day needs a swap_rule and a capacity (hours)")
            if self.after:
                raise ValueError("a buffer day has no dependencies: it is capacity, not work")
        elif self.swap_rule is not None or self.capacity is not None:
            raise ValueError("swap_rule and capacity belong to buffer days (kind: buffer)")
        return self


class BacklogItem(Frozen):
    id: str = Ident
    title: str = Field(min_length=1)
    effort: float = Field(gt=0, le=24, description="hours of work")
    owner: str | None = None
    after: tuple[str, ...] = ()


class FallbackClass(Frozen):
    name: str = Field(min_length=1)
    why: str = ""
    tasks: tuple[str, ...] = Field(min_length=1)


class EscalationLevel(Frozen):
    role: str
    channel: str = Channel
    after_hours: float = Field(ge=0, description="unresolved this long before this level")


class EscalationPolicy(Frozen):
    delivery_channel: str = Channel
    slip_threshold_days: int = Field(1, ge=0, description="slips longer than this escalate")
    launch_task: str
    decision_role: str = Field(description="who decides on resourcing and scope trade-offs")
    decision_channel: str = Channel
    blocker_ladder: tuple[EscalationLevel, ...] = Field(min_length=1)

    @field_validator("blocker_ladder")
    @classmethod
    def _ladder_rises(cls, ladder: tuple[EscalationLevel, ...]) -> tuple[EscalationLevel, ...]:
        hours = [level.after_hours for level in ladder]
        if hours != sorted(hours):
            raise ValueError("ladder levels must come in order of after_hours")
        return ladder


class Adjustments(Frozen):
    push_to_buffer: bool = Field(
        True, description="a task whose dependency slipped moves to a buffer"
    )
    pull_backlog: bool = Field(True, description="a freed slot pulls a ready backlog item")
    rebaseline_min_critical_slips: int = Field(2, ge=1)
    notes: str = ""


class Recurring(Frozen):
    title: str
    at: time
    minutes: int = Field(15, ge=1, le=480)
    on: Literal["business", "weekend"] = "business"
    channel: str | None = None


class Cadence(Frozen):
    meetings: tuple[Recurring, ...] = Field(min_length=1)


class CalendarSpec(Frozen):
    start: date = Field(ge=FIRST_START, le=LAST_START)
    timezone: str
    weekend: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ("sat", "sun")
    holidays: tuple[date, ...] = ()
    day_hours: float = Field(8, gt=0, le=24)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use an IANA name)") from None
        return name


class Plan(Frozen):
    id: str = Field(min_length=1, max_length=120)
    name: str
    summary: str = ""
    calendar: CalendarSpec
    roles: dict[str, Role] = Field(min_length=1)
    people: dict[str, Person] = Field(min_length=1)
    phases: tuple[Phase, ...] = ()
    tasks: tuple[Task, ...] = Field(min_length=1)
    backlog: tuple[BacklogItem, ...] = ()
    fallback: tuple[FallbackClass, ...] = ()
    adjustments: Adjustments = Adjustments()
    escalation: EscalationPolicy
    cadence: Cadence

    @cached_property
    def sprint(self) -> SprintCalendar:
        spec = self.calendar
        return SprintCalendar(
            start=spec.start,
            tz=ZoneInfo(spec.timezone),
            weekend=frozenset(WEEKDAYS.index(day) for day in spec.weekend),
            holidays=frozenset(spec.holidays),
        )

    @cached_property
    def by_id(self) -> dict[str, Task]:
        return {task.id: task for task in self.tasks}

    @cached_property
    def work(self) -> tuple[Task, ...]:
        return tuple(sorted((t for t in self.tasks if t.kind == "work"), key=lambda t: t.day))

    @cached_property
    def buffers(self) -> tuple[Task, ...]:
        return tuple(sorted((t for t in self.tasks if t.kind == "buffer"), key=lambda t: t.day))

    @cached_property
    def successors(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {t.id: [] for t in self.tasks}
        for task in self.tasks:
            for before in task.after:
                found.setdefault(before, []).append(task.id)
        return {key: tuple(value) for key, value in found.items()}

    @property
    def last_day(self) -> int:
        return max(task.day for task in self.tasks)

    def holder(self, role: str) -> Person:
        """The first person holding `role` (checks.py guarantees there is one)."""
        return next(p for p in self.people.values() if role in p.roles)

    def owner_label(self, task: Task) -> str:
        return f"{self.people[task.owner].name} ({self.roles[task.role].title})"
