"""Plan events and the state they fold into (pure).

Every status change is an `Event`; nothing else is ever stored. The current state is
`fold(events, at)`: the events effective at or before `at`, applied in (effective time,
sequence) order, so the result does not depend on the order the events are handed over in,
and evaluating "as of" any past moment is the same fold with a smaller `at`.

    slip       task, days, reason     the task finishes `days` business days later
    block      task, reason           the task cannot progress (its slip grows while blocked)
    unblock    task, reason           the blocker is resolved
    done       task                   the task (or a backlog item) is finished
    notified   key, task, level, ...  an escalation went out (so it is not sent twice)
    acknowledge key, by, ...          a person has seen an escalation: no more reminders, and
                                      its PagerDuty incident is acknowledged (it still climbs
                                      the ladder and is resolved when its condition clears)
    rebaseline version, dates, ...    a new baseline; slips so far are absorbed into it
    retract    event, reason          corrects a mistake: from its moment on, the event it names
                                      counts as never recorded (both stay in the log)

Events that no longer make sense are ignored, not fatal, so no stored event can make the log
unreadable (a slip beyond `MAX_SLIP_DAYS`, recorded before events were checked, is ignored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

EventKind = Literal[
    "slip", "block", "unblock", "done", "notified", "rebaseline", "retract", "acknowledge"
]  # fmt: skip
KINDS: tuple[EventKind, ...] = (
    "slip", "block", "unblock", "done", "notified", "rebaseline", "retract", "acknowledge"
)  # fmt: skip
#: the largest slip one event records: a year of business days
MAX_SLIP_DAYS = 260


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime  # when it took effect (timezone-aware)
    task: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0  # order of recording, assigned by the store

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("event times must be timezone-aware")


@dataclass(frozen=True)
class BlockSpan:
    since: datetime
    reason: str
    until: datetime | None = None  # None while the blocker is open


@dataclass(frozen=True)
class TaskState:
    slip_days: int = 0  # business days recorded since the current baseline
    slip_reasons: tuple[str, ...] = ()
    blocks: tuple[BlockSpan, ...] = ()
    done_at: datetime | None = None

    @property
    def open_block(self) -> BlockSpan | None:
        last = self.blocks[-1] if self.blocks else None
        return last if last is not None and last.until is None else None

    def blocked_at(self, instant: datetime) -> bool:
        return any(
            b.since <= instant and (b.until is None or b.until > instant) for b in self.blocks
        )


@dataclass(frozen=True)
class Baseline:
    version: int
    at: datetime | None  # None for version 1, the plan file itself
    dates: Mapping[str, date]
    reason: str = ""


@dataclass(frozen=True)
class Retraction:
    """A `retract` event and the event it took back."""

    id: int
    at: datetime
    reason: str
    event: Event


@dataclass(frozen=True)
class Ack:
    """Who acknowledged an escalation, and when."""

    by: str
    at: datetime


@dataclass(frozen=True)
class State:
    tasks: Mapping[str, TaskState] = field(default_factory=dict)
    baselines: tuple[Baseline, ...] = ()
    notified: frozenset[str] = frozenset()
    #: escalation key -> its acknowledgement
    acknowledged: Mapping[str, Ack] = field(default_factory=dict)
    changes: int = 0  # schedule events applied (not `notified`, `acknowledge`): grows with each
    retractions: tuple[Retraction, ...] = ()

    def task(self, task_id: str) -> TaskState:
        return self.tasks.get(task_id, TaskState())


def fold(events: Iterable[Event], at: datetime | None = None) -> State:
    effective = [e for e in events if at is None or e.at <= at]
    by_seq = {e.seq: e for e in effective}
    retractions = tuple(
        Retraction(e.seq, e.at, str(e.data.get("reason", "")), by_seq[int(e.data["event"])])
        for e in effective
        if e.kind == "retract" and int(e.data.get("event", 0)) in by_seq
    )
    taken_back = {r.event.seq for r in retractions} | {r.id for r in retractions}
    state = State(retractions=retractions)
    for event in sorted(effective, key=lambda e: (e.at, e.seq)):
        if event.seq not in taken_back and event.kind != "retract":
            state = apply(state, event)
    return state


def apply(state: State, event: Event) -> State:
    """One event applied to a state; events that no longer make sense are ignored, not fatal."""
    if event.kind == "notified":
        return replace(state, notified=state.notified | {str(event.data["key"])})
    if event.kind == "acknowledge":
        ack = Ack(str(event.data.get("by", "")), event.at)
        return replace(state, acknowledged={str(event.data["key"]): ack, **state.acknowledged})
    state = replace(state, changes=state.changes + 1)
    if event.kind == "rebaseline":
        return _rebaselined(state, event)
    assert event.task is not None, f"{event.kind} events name a task"
    current = state.task(event.task)
    if current.done_at is not None:
        return state
    updated = _task_event(current, event)
    return replace(state, tasks={**state.tasks, event.task: updated})


def _task_event(current: TaskState, event: Event) -> TaskState:
    reason = str(event.data.get("reason", ""))
    if event.kind == "slip":
        if not 1 <= int(event.data["days"]) <= MAX_SLIP_DAYS:
            return current
        return replace(
            current,
            slip_days=current.slip_days + int(event.data["days"]),
            slip_reasons=(*current.slip_reasons, reason),
        )
    if event.kind == "block" and current.open_block is None:
        return replace(current, blocks=(*current.blocks, BlockSpan(event.at, reason)))
    if event.kind in {"unblock", "done"} and current.open_block is not None:
        closed = replace(current.open_block, until=event.at)
        current = replace(current, blocks=(*current.blocks[:-1], closed))
    if event.kind == "done":
        return replace(current, done_at=event.at)
    return current


def _rebaselined(state: State, event: Event) -> State:
    baseline = Baseline(
        version=int(event.data["version"]),
        at=event.at,
        dates={k: date.fromisoformat(v) for k, v in dict(event.data["dates"]).items()},
        reason=str(event.data.get("reason", "")),
    )
    absorbed = {k: replace(v, slip_days=0, slip_reasons=()) for k, v in state.tasks.items()}
    return replace(state, tasks=absorbed, baselines=(*state.baselines, baseline))


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)
