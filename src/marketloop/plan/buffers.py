"""Buffer days and their swap rule (pure).

A buffer day (a weekend date) is capacity, not work. It is used in exactly one of these ways:

* **pushed**: a task whose dependency slipped was pushed onto it (schedule.py). One pushed
  task per buffer, whatever its effort: the task brings its owner, and `capacity` bounds only
  what the buffer's own owner pulls or stabilises; the note says when the pushed work is
  longer than that capacity (the owner works the buffer day). A blocked task is never pushed:
  its own blocker holds it, so it is one of the open issues the buffer stabilises;
* **pull-backlog**: the prior business day closed cleanly (everything due by then done, no
  open blocker at its close), so the owner may pull forward ready backlog items that fit the
  buffer's capacity;
* **stabilise**: the prior day did not close cleanly; the buffer works on the open issues in
  fallback-priority order, and what does not fit its capacity is deferred (log the carryover);
* **pending**: the prior business day has not closed yet at the moment evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from marketloop.plan.events import State
from marketloop.plan.fallback import triage
from marketloop.plan.model import Plan, Task

Day = date  # `BufferUse.date` shadows the name inside the class
BufferMode = Literal["pushed", "pull-backlog", "stabilise", "pending"]


@dataclass(frozen=True)
class Pull:
    item: str
    date: date
    owner: str | None
    effort: float
    because: str


@dataclass(frozen=True)
class BufferUse:
    task: str
    date: date
    mode: BufferMode
    prior_day: Day
    pushed: tuple[str, ...] = ()
    pulls: tuple[Pull, ...] = ()
    open_issues: tuple[str, ...] = ()  # stabilise: work on these, in this order
    deferred: tuple[str, ...] = ()  # stabilise: did not fit the buffer's capacity
    pushed_hours: float = 0  # pushed: the pushed task's effort
    capacity: float = 0  # the buffer's own hours (for pulls and stabilising)

    @property
    def note(self) -> str:
        if self.mode == "pushed":
            text = "holds pushed work: " + ", ".join(self.pushed)
            if self.pushed_hours > self.capacity:
                text += (
                    f" ({self.pushed_hours:g} h, more than the buffer's {self.capacity:g} h: "
                    "its owner works the buffer day)"
                )
            return text
        if self.mode == "pull-backlog":
            items = ", ".join(p.item for p in self.pulls) or "none ready"
            return f"prior day closed cleanly: pull forward backlog ({items})"
        if self.mode == "stabilise":
            text = "prior day did not close cleanly: stabilise " + ", ".join(self.open_issues)
            return text + (f"; defer {', '.join(self.deferred)}" if self.deferred else "")
        return f"decided when {self.prior_day:%a %b %d} closes"


def buffer_uses(
    plan: Plan,
    state: State,
    at: datetime,
    base: Mapping[str, date],
    dates: Mapping[str, date],
    taken: Mapping[date, str],
    pulled: Sequence[str],
) -> list[BufferUse]:
    uses: list[BufferUse] = []
    already = set(pulled)
    for buffer in plan.buffers:
        use = _use(plan, state, at, base, dates, taken, already, buffer)
        already.update(p.item for p in use.pulls)
        uses.append(use)
    return uses


def _use(
    plan: Plan,
    state: State,
    at: datetime,
    base: Mapping[str, date],
    dates: Mapping[str, date],
    taken: Mapping[date, str],
    pulled: set[str],
    buffer: Task,
) -> BufferUse:
    sprint = plan.sprint
    day = sprint.date_of(buffer.day)
    prior = sprint.prev_business_day(day)
    if day in taken:
        pushed = plan.by_id[taken[day]]
        return BufferUse(
            buffer.id,
            day,
            "pushed",
            prior,
            pushed=(pushed.id,),
            pushed_hours=pushed.effort,
            capacity=buffer.capacity or 0,
        )
    close = sprint.end_of_day(prior)
    if at < close:
        return BufferUse(buffer.id, day, "pending", prior)
    open_issues = [
        t.id
        for t in plan.work
        if (base[t.id] <= prior and not _done_by(state, t.id, close))
        or state.task(t.id).blocked_at(close)
    ]
    if open_issues:
        plan_b = triage(plan, open_issues, buffer.capacity or 0)
        return BufferUse(
            buffer.id, day, "stabilise", prior, open_issues=plan_b.focus, deferred=plan_b.deferred
        )
    pulls = _backlog_pulls(plan, state, buffer, day, dates, pulled)
    return BufferUse(buffer.id, day, "pull-backlog", prior, pulls=pulls)


def _done_by(state: State, task_id: str, instant: datetime) -> bool:
    done_at = state.task(task_id).done_at
    return done_at is not None and done_at < instant


def _backlog_pulls(
    plan: Plan,
    state: State,
    buffer: Task,
    day: date,
    dates: Mapping[str, date],
    pulled: set[str],
) -> tuple[Pull, ...]:
    room = buffer.capacity or 0
    pulls: list[Pull] = []
    for item in plan.backlog:
        ready = all(a in dates and dates[a] < day for a in item.after)
        if item.id in pulled or state.task(item.id).done_at is not None or not ready:
            continue
        if item.effort <= room:
            room -= item.effort
            because = f"day {buffer.day} buffer: day {plan.sprint.day_of(day) - 1} closed cleanly"
            pulls.append(Pull(item.id, day, item.owner or buffer.owner, item.effort, because))
    return tuple(pulls)
