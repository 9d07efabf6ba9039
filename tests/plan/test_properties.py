"""Properties of the rules over random slips, blockers and completions (hypothesis)."""

import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketloop.plan.events import Event, fold
from marketloop.plan.model import Plan
from marketloop.plan.rebaseline import rebaseline_event
from marketloop.plan.schedule import Schedule, compute

from .conftest import Sprint

WORK = [f"day{n}" for n in range(1, 22) if n not in (6, 13, 20)]

changes = st.lists(
    st.tuples(
        st.sampled_from(["slip", "slip", "block", "done", "rebaseline"]),
        st.sampled_from(WORK),
        st.integers(1, 3),  # slip days
        st.integers(1, 21),  # sprint day it is recorded
    ),
    max_size=8,
)


REBASELINE_HOUR = 12


def build(plan: Plan, items: list[tuple[str, str, int, int]]) -> Sprint:
    """The events, recorded in the order of the sprint days they happen on; a re-baseline
    takes the forecasts in force at its moment (forced, whether or not the protocol asks)."""
    s = Sprint(plan)
    for kind, task, days, day in sorted(items, key=lambda item: item[3]):
        if kind == "slip":
            s.slip(task, days, day=day)
        elif kind == "block":
            s.record("block", task, day, 11, reason="random blocker")
        elif kind == "rebaseline":
            at = s.at(day, REBASELINE_HOUR)
            state = fold(s.events, at)
            event = rebaseline_event(plan, state, compute(plan, state, at), at, "random")
            s.record("rebaseline", None, day, REBASELINE_HOUR, **event.data)
        else:
            s.record("done", task, day, 16)
    return s


def assert_work_on_business_days_or_its_buffer(plan: Plan, schedule: Schedule) -> None:
    buffer_days = {plan.sprint.date_of(b.day) for b in plan.buffers}
    for f in schedule.forecasts.values():
        if f.status == "done":
            continue
        if f.date in buffer_days:
            assert f.status == "pushed", f
        else:
            assert plan.sprint.is_business_day(f.date), f


slow = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@slow
@given(items=changes, now=st.integers(1, 24))
def test_no_open_task_is_scheduled_before_its_dependencies(
    example: Plan, items: list[tuple[str, str, int, int]], now: int
) -> None:
    s = build(example, items)
    schedule = s.schedule(now)
    state = s.state(now)
    for task in example.work:
        if state.task(task.id).done_at is not None:
            continue
        for before in task.after:
            assert schedule.forecasts[task.id].date > schedule.forecasts[before].date


@slow
@given(items=changes, now=st.integers(1, 24))
# a blocked task whose dependency lands on its day is not pushed onto the buffer after it
@example(items=[("block", "day19", 1, 1), ("done", "day15", 1, 1)], now=17)
# a blocked task gives up the buffer a re-baseline kept it on
@example(
    items=[("slip", "day18", 1, 1), ("rebaseline", "day1", 1, 1), ("block", "day19", 1, 2)], now=2
)
def test_buffers_hold_only_pushed_work_or_pulled_backlog(
    example: Plan, items: list[tuple[str, str, int, int]], now: int
) -> None:
    s = build(example, items)
    schedule = s.schedule(now)
    state = s.state(now)
    sprint = example.sprint
    buffer_days = {sprint.date_of(b.day) for b in example.buffers}
    on_buffers = [
        f for f in schedule.forecasts.values() if f.date in buffer_days and f.status != "done"
    ]
    assert all(f.status == "pushed" for f in on_buffers)
    assert_work_on_business_days_or_its_buffer(example, schedule)
    assert len({f.date for f in on_buffers}) == len(on_buffers)  # one pushed task per buffer
    for use in schedule.buffers:
        if use.pulls:
            assert use.mode == "pull-backlog" and not use.pushed
            assert sum(p.effort for p in use.pulls) <= example.by_id[use.task].capacity  # type: ignore[operator]
        if use.mode == "pushed":
            assert not use.pulls
    for pull in schedule.pulls:
        if pull.date in buffer_days:
            assert "closed cleanly" in pull.because
    today = sprint.local_date(s.at(now))
    for pull in schedule.pulls:
        if "was pushed" in pull.because:  # a pushed task's freed slot: never a day gone by
            assert pull.date >= today, pull
    for f in schedule.forecasts.values():
        if f.status == "pushed" and f.culprit is not None:
            assert f"{f.culprit} slipped" not in f.reason or state.task(f.culprit).slip_days > 0
    pulled = [p.item for p in schedule.pulls]
    assert len(pulled) == len(set(pulled))  # a backlog item is pulled once
    for f in schedule.forecasts.values():
        if f.status not in {"done"} and state.task(f.task).done_at is None:
            assert f.date >= sprint.local_date(s.at(now)) or f.date in buffer_days


@slow
@given(items=changes, seed=st.integers(0, 2**32 - 1), now=st.integers(1, 24))
def test_folding_does_not_depend_on_the_order_events_arrive_in(
    example: Plan, items: list[tuple[str, str, int, int]], seed: int, now: int
) -> None:
    s = build(example, items)
    shuffled: list[Event] = list(s.events)
    random.Random(seed).shuffle(shuffled)
    at = s.at(now, 17)
    assert fold(shuffled, at) == fold(s.events, at)
    assert compute(example, fold(shuffled, at), at) == compute(example, fold(s.events, at), at)


@slow
@given(items=changes)
@example(items=[("slip", "day8", 3, 1), ("block", "day19", 1, 1), ("rebaseline", "day1", 1, 1)])
def test_right_after_a_rebaseline_every_slack_is_non_negative(
    example: Plan, items: list[tuple[str, str, int, int]]
) -> None:
    s = build(example, items)
    for index, event in enumerate(s.events):
        if event.kind != "rebaseline":
            continue
        recorded_so_far = s.events[: index + 1]
        schedule = compute(example, fold(recorded_so_far, event.at), event.at)
        assert schedule.baseline_version == event.data["version"]
        slacks = {f.task: f.slack for f in schedule.forecasts.values() if f.slack is not None}
        assert all(slack >= 0 for slack in slacks.values()), slacks
        assert_work_on_business_days_or_its_buffer(example, schedule)
