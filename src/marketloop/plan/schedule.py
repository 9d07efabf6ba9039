"""The schedule at a moment: forecasts, push/pull, slack and the critical path (pure).

Forward pass, in dependency order over the work tasks:

* a done task sits on the date it was done;
* otherwise its own date is its baseline moved by its recorded slips; a task that is overdue
  or blocked cannot finish before today (blocked: before the next business day);
* a blocked task is held by its own blocker, not by a dependency: it resumes on a business day,
  holds no buffer (not even one a re-baseline kept it on) and is never pushed onto one; while
  it stays blocked, the buffer's swap rule stabilises it (buffers.py);
* when a dependency finishes on or after that date, the **push rule** applies: the task moves
  to the next available buffer day after the dependency, if one is free and comes before the
  task's successors, and its freed slot **pulls** a ready backlog item of equal or lesser
  effort (unless that slot is already past); without such a buffer the task shifts to the
  next business day after the dependency and the slip travels downstream.

Backward pass: each task's latest date is the last date before its earliest successor's latest
date that can hold its work (a business day, or the buffer day it was pushed to), and the
sprint's last baseline date for the last task; slack is the business days between forecast
and latest date, and the critical path is every open task without slack. A task sitting on a
buffer day after a re-baseline stays "pushed": it holds that buffer.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from marketloop.plan.buffers import BufferUse, Pull, buffer_uses
from marketloop.plan.events import State
from marketloop.plan.model import Plan, Task

Status = Literal["done", "blocked", "late", "slipped", "pushed", "waiting", "today", "planned"]


@dataclass(frozen=True)
class Forecast:
    task: str
    baseline: date
    own: date  # where the task's own slips, lateness or blocker put it
    date: date  # where it will happen, after its dependencies
    status: Status
    variance: int  # business days later than the baseline (negative: earlier)
    slack: int | None  # business days it can still move without moving the end; None when done
    critical: bool
    reason: str = ""
    culprit: str | None = None  # the dependency that set this date, when one did


@dataclass(frozen=True)
class Schedule:
    at: datetime
    baseline_version: int
    forecasts: Mapping[str, Forecast]
    buffers: tuple[BufferUse, ...]
    pulls: tuple[Pull, ...]

    @property
    def critical_path(self) -> tuple[str, ...]:
        chain = [f for f in self.forecasts.values() if f.critical]
        return tuple(f.task for f in sorted(chain, key=lambda f: (f.date, f.baseline)))

    @property
    def end(self) -> date:
        return max(f.date for f in self.forecasts.values())


def baseline_dates(plan: Plan, state: State) -> dict[str, date]:
    """The dates in force: the newest recorded baseline, else the plan file's days."""
    dates = {task.id: plan.sprint.date_of(task.day) for task in plan.tasks}
    if state.baselines:
        dates.update(state.baselines[-1].dates)
    return dates


def dependency_order(plan: Plan) -> list[Task]:
    graph = {t.id: set(t.after) for t in plan.work}
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    ordered: list[Task] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda i: plan.by_id[i].day)
        ordered.extend(plan.by_id[i] for i in ready)
        sorter.done(*ready)
    return ordered


def compute(plan: Plan, state: State, at: datetime) -> Schedule:
    sprint = plan.sprint
    today = sprint.local_date(at)
    base = baseline_dates(plan, state)
    own = {t.id: _own_date(plan, state, base[t.id], t.id, today) for t in plan.work}
    buffer_days = {sprint.date_of(b.day) for b in plan.buffers}
    taken = {own[t.id]: t.id for t in plan.work if own[t.id] in buffer_days}
    for task in plan.work:  # work done on a buffer day used that buffer
        done_at = state.task(task.id).done_at
        if done_at is not None and sprint.local_date(done_at) in buffer_days:
            taken.setdefault(sprint.local_date(done_at), task.id)
    dates: dict[str, date] = {}
    reasons: dict[str, str] = {}
    culprits: dict[str, str] = {}
    pulls: list[Pull] = []
    late: set[str] = set()
    for task in dependency_order(plan):
        done_at = state.task(task.id).done_at
        if done_at is not None:
            dates[task.id] = sprint.local_date(done_at)
            continue
        dates[task.id] = own[task.id]
        if own[task.id] in buffer_days:  # a re-baseline kept it on the buffer it was pushed to
            reasons[task.id] = f"pushed to buffer day {sprint.day_of(own[task.id])} before " + (
                f"baseline v{state.baselines[-1].version}" if state.baselines else "the baseline"
            )
        latest = max((dates[a] for a in task.after), default=None)
        if latest is not None and latest >= own[task.id]:
            culprit = culprits[task.id] = max(task.after, key=lambda a: dates[a])
            before = min((own[s] for s in plan.successors[task.id] if s in own), default=None)
            buffer = _free_buffer(buffer_days, taken, latest, today, before)
            held = state.task(task.id).open_block is not None  # its own blocker holds it
            if buffer is not None and plan.adjustments.push_to_buffer and not held:
                dates[task.id] = buffer
                taken[buffer] = task.id
                why = _what_happened(state, culprit, late, reasons)
                reasons[task.id] = f"pushed to buffer day {sprint.day_of(buffer)}: {culprit} {why}"
                pull = _pull_for(plan, state, task, own[task.id], today, dates, pulls)
                if pull is not None:
                    pulls.append(pull)
            else:
                dates[task.id] = sprint.next_business_day(latest)
                reasons[task.id] = f"waits for {culprit} (forecast {dates[culprit]:%a %b %d})"
        if dates[task.id] < today:  # it could have happened and did not: it is late
            dates[task.id] = own[task.id] = sprint.on_or_after(today)
            late.add(task.id)
    uses = buffer_uses(plan, state, at, base, dates, taken, [p.item for p in pulls])
    pulls.extend(p for use in uses for p in use.pulls)
    return Schedule(
        at=at,
        baseline_version=state.baselines[-1].version if state.baselines else 1,
        forecasts=_forecasts(plan, state, today, base, own, dates, reasons, culprits),
        buffers=tuple(uses),
        pulls=tuple(pulls),
    )


def _own_date(plan: Plan, state: State, baseline: date, task_id: str, today: date) -> date:
    sprint = plan.sprint
    task_state = state.task(task_id)
    own = sprint.add_business_days(baseline, task_state.slip_days)
    if task_state.open_block is not None:  # it resumes on a business day, never on a buffer
        return sprint.on_or_after(max(own, sprint.next_business_day(today)))
    return own


def _free_buffer(
    buffers: set[date], taken: Mapping[date, str], after: date, today: date, before: date | None
) -> date | None:
    """The first buffer day after `after` (and not past) that is free and before `before`."""
    for day in sorted(buffers):
        if day > after and day >= today and day not in taken and (before is None or day < before):
            return day
    return None


def _what_happened(state: State, culprit: str, late: set[str], reasons: Mapping[str, str]) -> str:
    """Why `culprit` is not done in time, in a few words."""
    culprit_state = state.task(culprit)
    if culprit_state.open_block is not None:
        return "is blocked"
    if culprit_state.slip_days > 0:
        return "slipped"
    if culprit in late:
        return "is late"
    if reasons.get(culprit, "").startswith("pushed"):
        return "was pushed"
    return "is delayed upstream"


def _pull_for(
    plan: Plan,
    state: State,
    task: Task,
    slot: date,
    today: date,
    dates: Mapping[str, date],
    pulls: list[Pull],
) -> Pull | None:
    """A ready backlog item of equal or lesser effort for the slot `task` left free; none when
    that slot is already past (nobody can work in it any more)."""
    if not plan.adjustments.pull_backlog or slot < today:
        return None
    taken = {p.item for p in pulls}
    ready = [
        item
        for item in plan.backlog
        if item.id not in taken
        and state.task(item.id).done_at is None
        and item.effort <= task.effort
        and all(a in dates and dates[a] < slot for a in item.after)
    ]
    ready.sort(key=lambda item: item.owner != task.owner)  # the slot's owner first; stable
    if not ready:
        return None
    item = ready[0]
    because = f"{task.id} was pushed; its day-{task.day} slot is free"
    return Pull(item.id, slot, item.owner or task.owner, item.effort, because)


def _forecasts(
    plan: Plan,
    state: State,
    today: date,
    base: Mapping[str, date],
    own: Mapping[str, date],
    dates: Mapping[str, date],
    reasons: Mapping[str, str],
    culprits: Mapping[str, str],
) -> dict[str, Forecast]:
    sprint = plan.sprint
    open_dates = {t.id: dates[t.id] for t in plan.work if state.task(t.id).done_at is None}
    deadline = max(base[t.id] for t in plan.work)
    latest = latest_dates(plan, deadline, on_buffers(plan, open_dates), state)
    result: dict[str, Forecast] = {}
    for task in plan.work:
        tid = task.id
        done = state.task(tid).done_at is not None
        slack = None if done else sprint.business_days_between(dates[tid], latest[tid])
        status = _status(state, tid, today, base[tid], own[tid], dates[tid], reasons.get(tid, ""))
        result[tid] = Forecast(
            task=tid,
            baseline=base[tid],
            own=own[tid],
            date=dates[tid],
            status=status,
            variance=sprint.business_days_between(base[tid], dates[tid]),
            slack=slack,
            critical=slack is not None and slack <= 0,
            reason=reasons.get(tid, "") or _own_reason(state, tid, status),
            culprit=culprits.get(tid),
        )
    return result


def latest_dates(
    plan: Plan,
    deadline: date,
    held: Mapping[str, date] | None = None,
    state: State | None = None,
    sink: str | None = None,
) -> dict[str, date]:
    """Backward pass: the last date each task can take without moving the end of the sprint.

    A task's latest date is the last date before its earliest successor's latest date that can
    hold the task's work: a business day, or the buffer day the task already holds (`held`:
    pushed there). Free buffers are contingency, not planned capacity, so the critical path
    does not count on them; a successor that sits on a buffer day moves its predecessors'
    latest dates to the business day before that buffer, as the forward pass does.

    With `sink`, only that task and the tasks it depends on (directly or not) are computed,
    and `deadline` is the sink's: the latest dates that do not move the sink.
    """
    holds = held or {}
    within = upstream(plan, sink) | {sink} if sink is not None else set(plan.by_id)
    latest: dict[str, date] = {}
    for task in reversed(dependency_order(plan)):
        if task.id not in within:
            continue
        later = [
            _last_slot_before(plan, latest[s], holds.get(task.id))
            for s in plan.successors[task.id]
            if s in latest and (state is None or state.task(s).done_at is None)
        ]
        latest[task.id] = min(later, default=deadline)
    return latest


def upstream(plan: Plan, task_id: str) -> set[str]:
    """Every task `task_id` depends on, directly or through others."""
    found: set[str] = set()
    stack = list(plan.by_id[task_id].after)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(plan.by_id[current].after)
    return found


def on_buffers(plan: Plan, dates: Mapping[str, date]) -> dict[str, date]:
    """The work tasks whose date is a buffer day (they were pushed there)."""
    buffer_days = {plan.sprint.date_of(b.day) for b in plan.buffers}
    return {t.id: dates[t.id] for t in plan.work if t.id in dates and dates[t.id] in buffer_days}


def _last_slot_before(plan: Plan, when: date, held: date | None) -> date:
    slot = plan.sprint.prev_business_day(when)
    return held if held is not None and slot < held < when else slot


def _status(
    state: State, tid: str, today: date, base: date, own: date, when: date, reason: str
) -> Status:
    task_state = state.task(tid)
    checks: tuple[tuple[bool, Status], ...] = (
        (task_state.done_at is not None, "done"),
        (task_state.open_block is not None, "blocked"),
        (reason.startswith("pushed"), "pushed"),
        (task_state.slip_days > 0, "slipped"),
        (base < today and own == when and own > base, "late"),
        (bool(reason), "waiting"),
        (when == today, "today"),
    )
    return next((status for hit, status in checks if hit), "planned")


def _own_reason(state: State, tid: str, status: Status) -> str:
    task_state = state.task(tid)
    if status == "blocked" and task_state.open_block is not None:
        return f"blocked: {task_state.open_block.reason}"
    if status == "slipped":
        return f"slipped {task_state.slip_days} business day(s): " + "; ".join(
            task_state.slip_reasons
        )
    if status == "late":
        return "not done by its day"
    return ""
