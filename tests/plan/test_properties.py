"""Properties of the rules over random slips, blockers and completions (hypothesis)."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketloop.plan.events import Event, fold
from marketloop.plan.model import Plan
from marketloop.plan.schedule import compute

from .conftest import Sprint

WORK = [f"day{n}" for n in range(1, 22) if n not in (6, 13, 20)]

changes = st.lists(
    st.tuples(
        st.sampled_from(["slip", "slip", "block", "done"]),
        st.sampled_from(WORK),
        st.integers(1, 3),  # slip days
        st.integers(1, 21),  # sprint day it is recorded
    ),
    max_size=8,
)


def build(plan: Plan, items: list[tuple[str, str, int, int]]) -> Sprint:
    s = Sprint(plan)
    for kind, task, days, day in items:
        if kind == "slip":
            s.slip(task, days, day=day)
        elif kind == "block":
            s.record("block", task, day, 11, reason="random blocker")
        else:
            s.record("done", task, day, 16)
    return s


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
