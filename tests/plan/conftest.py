"""Fixtures of the plan tests: the example plan (parsed once), the minimal plan, and helpers
that build events at a sprint day and hour in the plan's time zone."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, time
from pathlib import Path

import pytest

from marketloop.plan.demo import example_plan_path
from marketloop.plan.events import Event, State, fold
from marketloop.plan.loader import load_plan
from marketloop.plan.model import Plan
from marketloop.plan.schedule import Schedule, compute

CASES = Path(__file__).parent / "cases"
EXAMPLE = example_plan_path()


@pytest.fixture(scope="session")
def example() -> Plan:
    return load_plan(EXAMPLE)


@pytest.fixture(scope="session")
def minimal() -> Plan:
    return load_plan(CASES / "minimal.yaml")


class Sprint:
    """Events and evaluations on one plan, with times given as (sprint day, hour)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.events: list[Event] = []
        self._seq: Iterator[int] = itertools.count(1)

    def at(self, day: int, hour: float = 9) -> datetime:
        clock = time(int(hour), round(hour % 1 * 60))
        return self.plan.sprint.at_time(self.plan.sprint.date_of(day), clock)

    def record(
        self, kind: str, task: str | None, day: int, hour: float = 9, **data: object
    ) -> None:
        self.events.append(Event(kind, self.at(day, hour), task, data, next(self._seq)))  # type: ignore[arg-type]

    def slip(self, task: str, days: int, day: int, hour: float = 10) -> None:
        self.record("slip", task, day, hour, days=days, reason=f"{task} needs {days} more day(s)")

    def done(self, *tasks: str, hour: float = 16) -> None:
        for task in tasks:
            self.record("done", task, self.plan.by_id[task].day, hour)

    def state(self, day: int, hour: float = 17) -> State:
        return fold(self.events, self.at(day, hour))

    def schedule(self, day: int, hour: float = 17) -> Schedule:
        return compute(self.plan, self.state(day, hour), self.at(day, hour))


@pytest.fixture
def sprint(example: Plan) -> Sprint:
    return Sprint(example)


@pytest.fixture
def on_time(example: Plan) -> Callable[[int], Sprint]:
    """A sprint where every work task before `day` was done on its own day."""

    def build(day: int) -> Sprint:
        s = Sprint(example)
        s.done(*(t.id for t in example.work if t.day < day))
        return s

    return build
