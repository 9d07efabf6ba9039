"""A plan and its event log together: the thin edge the CLI, the demo and the API use.

Reading evaluates the pure rules at a moment (`view(at)`); recording checks that the change
makes sense now (no slip on a finished task, no second blocker on a blocked one), that its
values and moment are in bounds (`bounds.py`) and that the schedule with it still computes
within the plan's window, then appends one event. Nothing here changes or removes a recorded
event: a mistake is taken back by a `retract` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketloop.errors import PlanError
from marketloop.plan import bounds
from marketloop.plan.escalation import (
    DEDUP_PREFIX,
    SHORT_ID,
    Escalation,
    escalation_id,
    escalations,
)
from marketloop.plan.events import Ack, Event, State, fold
from marketloop.plan.model import Plan
from marketloop.plan.rebaseline import Verdict, rebaseline_event, verdict
from marketloop.plan.schedule import Schedule, compute
from marketloop.plan.store import EventLog


@dataclass(frozen=True)
class View:
    """Everything the rules say at one moment."""

    plan: Plan
    at: datetime
    state: State
    schedule: Schedule
    escalations: tuple[Escalation, ...]
    rebaseline: Verdict

    @property
    def pending(self) -> tuple[Escalation, ...]:
        """Escalations not sent yet (nor acknowledged before they were: that person knows)."""
        state = self.state
        return tuple(
            e for e in self.escalations
            if e.key not in state.notified and e.key not in state.acknowledged
        )  # fmt: skip

    def acknowledged(self, escalation: Escalation) -> Ack | None:
        """Who acknowledged `escalation` and when; None while nobody has."""
        return self.state.acknowledged.get(escalation.key)

    def find(self, ref: str) -> Escalation:
        """The escalation in force whose id starts with `ref` (4+ characters; a PagerDuty
        dedup key `ml-...` too)."""
        plan_id = self.plan.id
        wanted = ref.strip().lower().removeprefix(DEDUP_PREFIX)
        found = [e for e in self.escalations if escalation_id(plan_id, e).startswith(wanted)]
        listed = ", ".join(f"{escalation_id(plan_id, e)[:SHORT_ID]} ({e.task})"
                           for e in self.escalations) or "none"  # fmt: skip
        if len(wanted) < 4 or len(found) != 1:
            why = "is too short" if len(wanted) < 4 else f"matches {len(found)} escalations"
            raise PlanError(
                f"escalation id {ref!r} {why} in force at {self.at:%Y-%m-%d %H:%M %Z}",
                hint=f"ids in force (`marketloop plan escalations`): {listed}",
            )
        return found[0]


class Tracker:
    def __init__(self, plan: Plan, log: EventLog) -> None:
        self.plan = plan
        self.log = log

    def view(self, at: datetime) -> View:
        state = fold(self.log.events(), at)
        schedule = compute(self.plan, state, at)
        return View(
            self.plan,
            at,
            state,
            schedule,
            tuple(escalations(self.plan, state, schedule)),
            verdict(self.plan, state, schedule),
        )

    def slip(self, task_id: str, days: int, reason: str, at: datetime) -> Event:
        bounds.check_slip(days)
        self._open_work(task_id, at, "slip")
        return self._record(Event("slip", at, task_id, {"days": days, "reason": reason}))

    def block(self, task_id: str, reason: str, at: datetime) -> Event:
        state = self._open(task_id, at, "block")
        block = state.task(task_id).open_block
        if block is not None:
            since = f"{block.since:%Y-%m-%d %H:%M %Z}"
            raise PlanError(
                f"{task_id} is already blocked since {since}: {block.reason}",
                hint=f"run `marketloop plan unblock {task_id}` when it is resolved",
            )
        return self._record(Event("block", at, task_id, {"reason": reason}))

    def unblock(self, task_id: str, reason: str, at: datetime) -> Event:
        state = self._open(task_id, at, "unblock")
        if state.task(task_id).open_block is None:
            raise PlanError(f"{task_id} is not blocked at {at:%Y-%m-%d %H:%M %Z}")
        return self._record(Event("unblock", at, task_id, {"reason": reason}))

    def done(self, task_id: str, at: datetime) -> Event:
        self._open(task_id, at, "done", backlog=True)
        return self._record(Event("done", at, task_id))

    def rebaseline(self, reason: str, at: datetime) -> Event:
        current = self.view(at)
        if not current.rebaseline.due:
            raise PlanError(
                f"no re-baseline: {current.rebaseline.explanation}",
                hint="see `marketloop plan status` for the pushes and pulls in force",
            )
        return self._record(
            rebaseline_event(self.plan, current.state, current.schedule, at, reason)
        )

    def record_sent(self, escalation: Escalation, at: datetime, notifier: str) -> Event:
        data = {**escalation.as_dict(), "notifier": notifier}
        return self._record(Event("notified", at, escalation.task, data))

    def acknowledge(self, ref: str, by: str | None, at: datetime) -> Event:
        """Record that `by` (default: whoever records) has seen the escalation `ref` names, in
        force at `at`: it is not reminded any more and its page is acknowledged; it still
        climbs the ladder, and its page is resolved when its condition clears."""
        by = self.log.who() if by is None else by
        bounds.check_name(by)
        current = self.view(at)
        escalation = current.find(ref)
        done = current.acknowledged(escalation)
        if done is not None:
            raise PlanError(
                f"escalation {ref} ({escalation.task}) was already acknowledged by "
                f"{done.by} at {done.at:%Y-%m-%d %H:%M %Z}; nothing recorded"
            )
        data = {
            "key": escalation.key, "id": escalation_id(self.plan.id, escalation),
            "level": escalation.level, "channel": escalation.channel, "by": by,
        }  # fmt: skip
        return self._record(Event("acknowledge", at, escalation.task, data))

    def retract(self, event_id: int, reason: str, at: datetime) -> Event:
        """Take back event `event_id` (a mistake): it stays in the log, and counts as never
        recorded from `at` on. Baselines are replaced by a new one, not retracted."""
        events = self.log.events()
        target = next((e for e in events if e.seq == event_id), None)
        if target is None:
            raise PlanError(
                f"plan {self.plan.id} has no event {event_id}",
                hint="`marketloop plan log` lists the events with their ids",
            )
        if target.kind in {"rebaseline", "retract"}:
            raise PlanError(f"event {event_id} is a {target.kind}: it cannot be retracted")
        if any(e.kind == "retract" and e.data.get("event") == event_id for e in events):
            raise PlanError(f"event {event_id} was already retracted; nothing recorded")
        data = {"event": event_id, "kind": target.kind, "reason": reason}
        return self._record(Event("retract", at, target.task, data))

    def _record(self, event: Event) -> Event:
        """Append `event` once it is in bounds and the schedule with it stays in the window."""
        bounds.check_moment(self.plan, event.at, "the event time")
        bounds.check_reason(str(event.data.get("reason", "")))
        events = self.log.events()
        seq = max((e.seq for e in events), default=0) + 1
        candidate = [*events, Event(event.kind, event.at, event.task, event.data, seq)]
        try:
            end = compute(self.plan, fold(candidate, event.at), event.at).end
        except (OverflowError, ValueError) as exc:
            raise PlanError(
                f"nothing recorded: the schedule cannot take this event ({exc})"
            ) from None
        bounds.check_end(self.plan, end)
        return self.log.append(event)

    def _open_work(self, task_id: str, at: datetime, verb: str) -> State:
        state = self._open(task_id, at, verb)
        if self.plan.by_id[task_id].kind != "work":
            raise PlanError(
                f"{task_id} is a buffer day; only work tasks {verb}",
                hint="block the buffer day instead if something stops it",
            )
        return state

    def _open(self, task_id: str, at: datetime, verb: str, *, backlog: bool = False) -> State:
        known = set(self.plan.by_id) | ({b.id for b in self.plan.backlog} if backlog else set())
        if task_id not in known:
            raise PlanError(
                f"cannot {verb} {task_id!r}: plan {self.plan.id} has no such task",
                hint="tasks: " + ", ".join(sorted(known, key=_natural)),
            )
        state = fold(self.log.events(), at)
        done_at = state.task(task_id).done_at
        if done_at is not None:
            raise PlanError(
                f"cannot {verb} {task_id}: it was done at {done_at:%Y-%m-%d %H:%M %Z}; "
                "nothing recorded"
            )
        return state


def _natural(text: str) -> tuple[str, int]:
    head = text.rstrip("0123456789")
    tail = text[len(head) :]
    return head, int(tail) if tail else -1
