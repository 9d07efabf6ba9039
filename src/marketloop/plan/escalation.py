"""Escalation triggers: what must be escalated at a moment, to whom, how and why (pure).

* A task that slips (recorded slips, lateness or a blocker) by more than the policy's
  threshold (1 business day) goes to the decision role (the Executive Sponsor) for resourcing
  or scope trade-offs.
* So does every slipping task upstream of the production launch (the policy's `launch_task`)
  whose own delay exceeds its slack to the launch, once the launch moves: all of them, not
  only the chain that binds the launch's date.
* A blocker opened on a weekend date climbs the blocker ladder: the Project Lead in the
  delivery channel at once, the Executive Sponsor when unresolved after 4 hours, the SRE
  on-call through PagerDuty after that. A weekday blocker goes to the ladder's first level
  at once, and reaches the sponsor through the slip rule once it costs more than a day.

One `Escalation` per task and level; its `key` (task, level, reason) is what the notifier
records, so the same escalation is not sent twice. Its id (`escalation_id`, a digest of the
plan and the key) names it to people (`plan ack ID`, any unique prefix of 4 or more characters)
and to PagerDuty (the dedup key `ml-<id>`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketloop.plan.events import BlockSpan, State
from marketloop.plan.model import Plan
from marketloop.plan.schedule import Schedule, latest_dates, on_buffers


@dataclass(frozen=True)
class Escalation:
    task: str
    level: int
    role: str
    to: str  # the role's title, e.g. "Executive Sponsor"
    person: str
    channel: str
    reason: str
    rules: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.task}|{self.level}|{self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {
            "task": self.task,
            "to": self.to,
            "person": self.person,
            "channel": self.channel,
            "reason": self.reason,
            "level": self.level,
            "role": self.role,
            "rules": list(self.rules),
            "key": self.key,
        }


#: an escalation's PagerDuty dedup key is this and its id
DEDUP_PREFIX = "ml-"
#: how many characters of an escalation's id are shown (any unique prefix of 4+ names it)
SHORT_ID = 8


def escalation_id(plan_id: str, e: Escalation) -> str:
    """The escalation's id: the same for as long as its task, level and reason are."""
    return hashlib.sha256(f"{plan_id}|{e.key}".encode()).hexdigest()[:32]


def escalations(plan: Plan, state: State, schedule: Schedule) -> list[Escalation]:
    found: dict[tuple[str, int], list[tuple[str, str, str, str]]] = {}
    for task, level, role, channel, rule, reason in _triggers(plan, state, schedule):
        found.setdefault((task, level), []).append((role, channel, rule, reason))
    result = []
    for (task, level), hits in found.items():
        role, channel = hits[0][0], hits[0][1]
        result.append(
            Escalation(
                task=task,
                level=level,
                role=role,
                to=plan.roles[role].title,
                person=plan.holder(role).name,
                channel=channel,
                reason="; ".join(h[3] for h in hits),
                rules=tuple(dict.fromkeys(h[2] for h in hits)),
            )
        )
    return sorted(result, key=lambda e: (plan.by_id[e.task].day, e.level))


Trigger = tuple[str, int, str, str, str, str]  # task, level, role, channel, rule, reason


def _triggers(plan: Plan, state: State, schedule: Schedule) -> Iterator[Trigger]:
    yield from _slips(plan, schedule)
    for task in plan.tasks:
        block = state.task(task.id).open_block
        if block is not None:
            yield from _blocker(plan, task.id, block, schedule.at)


def _decision_level(plan: Plan) -> int:
    ladder = [level.role for level in plan.escalation.blocker_ladder]
    role = plan.escalation.decision_role
    return ladder.index(role) + 1 if role in ladder else len(ladder) + 1


def _slips(plan: Plan, schedule: Schedule) -> Iterator[Trigger]:
    policy = plan.escalation
    sprint = plan.sprint
    level = _decision_level(plan)
    launch = schedule.forecasts[policy.launch_task]
    moving_launch = _moving_launch(plan, schedule)
    for f in schedule.forecasts.values():
        if f.status == "done":
            continue
        own_slip = sprint.business_days_between(f.baseline, f.own)
        head = (policy.decision_role, policy.decision_channel)
        if own_slip > policy.slip_threshold_days:
            what = {"blocked": "blocked", "late": "late"}.get(f.status, "slipped")
            reason = (
                f"{what} {own_slip} business days (more than {policy.slip_threshold_days}): "
                "decide on resourcing or scope"
            )
            yield (f.task, level, *head, "slip", reason)
        if f.task in moving_launch:
            reason = (
                f"affects production launch readiness: {launch.task} moves from "
                f"{launch.baseline:%a %b %d} to {launch.date:%a %b %d} ({f.task} is "
                f"{own_slip} business day(s) behind with {moving_launch[f.task]} of slack "
                "to the launch)"
            )
            yield (f.task, level, *head, "launch", reason)


def _moving_launch(plan: Plan, schedule: Schedule) -> dict[str, int]:
    """Every open task upstream of the launch whose own delay exceeds its slack to the launch
    (business days it could slip without moving the launch's baseline date), with that slack;
    empty while the launch holds its date."""
    sprint = plan.sprint
    forecasts = schedule.forecasts
    launch = forecasts[plan.escalation.launch_task]
    if launch.date <= launch.baseline:
        return {}
    base = {f.task: f.baseline for f in forecasts.values()}
    latest = latest_dates(plan, launch.baseline, on_buffers(plan, base), sink=launch.task)
    found: dict[str, int] = {}
    for task_id, last in latest.items():
        f = forecasts[task_id]
        slack = sprint.business_days_between(f.baseline, last)
        if f.status != "done" and sprint.business_days_between(f.baseline, f.own) > slack:
            found[task_id] = slack
    return found


def _blocker(plan: Plan, task_id: str, block: BlockSpan, at: datetime) -> Iterator[Trigger]:
    sprint = plan.sprint
    since = sprint.local(block.since)
    weekend = not sprint.is_business_day(since.date())
    for index, level in enumerate(plan.escalation.blocker_ladder):
        due = block.since + timedelta(hours=level.after_hours)
        if due > at or (index > 0 and not weekend):
            continue
        kind = "weekend blocker" if weekend else "blocker"
        reason = f"{kind} since {since:%a %b %d %H:%M}: {block.reason}"
        if level.after_hours:
            waited = f"unresolved after {level.after_hours:g} hours (since {since:%a %H:%M})"
            reason = f"{kind} {waited}: {block.reason}"
        rule = "weekend-blocker" if weekend else "blocker"
        yield (task_id, index + 1, level.role, level.channel, rule, reason)
