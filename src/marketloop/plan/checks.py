"""Rules a plan must follow that a schema cannot express, as a pure function.

`problems(plan)` returns every violation with the location of the offending value (a path
into the YAML document, like pydantic's `loc`), so the loader can name the line: unknown
owners and roles, duplicate or missing days, dependencies on unknown or later tasks, cycles,
buffer days on business days (and work on weekends), unknown contacts in the escalation policy.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator
from dataclasses import dataclass

from marketloop.plan.model import Plan

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str


def problems(plan: Plan) -> list[Problem]:
    found: list[Problem] = []
    for check in (_people, _days, _tasks, _cycles, _backlog, _fallback, _escalation, _phases):
        found.extend(check(plan))
    return found


def _people(plan: Plan) -> Iterator[Problem]:
    for pid, person in plan.people.items():
        for j, role in enumerate(person.roles):
            if role not in plan.roles:
                yield Problem(("people", pid, "roles", j), f"unknown role {role!r}{_known(plan)}")


def _days(plan: Plan) -> Iterator[Problem]:
    first_index: dict[int, int] = {}
    ids: dict[str, int] = {}
    for i, task in enumerate(plan.tasks):
        if task.id in ids:
            yield Problem(("tasks", i, "id"), f"duplicate task id {task.id!r}")
        ids.setdefault(task.id, i)
        if task.day in first_index:
            other = plan.tasks[first_index[task.day]].id
            yield Problem(("tasks", i, "day"), f"day {task.day} is already taken by {other}")
        first_index.setdefault(task.day, i)
    for day in range(1, max(first_index) + 1):
        if day not in first_index:
            later = min(d for d in first_index if d > day)
            yield Problem(
                ("tasks", first_index[later], "day"),
                f"day {day} is missing: the tasks jump to day {later}; every day from 1 to "
                f"{max(first_index)} needs a task (work or buffer)",
            )


def _tasks(plan: Plan) -> Iterator[Problem]:
    sprint = plan.sprint
    for i, task in enumerate(plan.tasks):
        if task.owner not in plan.people:
            yield Problem(
                ("tasks", i, "owner"), f"unknown owner {task.owner!r}{_known_people(plan)}"
            )
        elif task.role not in plan.people[task.owner].roles:
            held = ", ".join(plan.people[task.owner].roles)
            yield Problem(
                ("tasks", i, "role"),
                f"{task.owner} does not hold role {task.role!r} (holds {held})",
            )
        if task.role not in plan.roles:
            yield Problem(("tasks", i, "role"), f"unknown role {task.role!r}{_known(plan)}")
        when = sprint.date_of(task.day)
        if task.kind == "buffer" and sprint.is_business_day(when):
            yield Problem(
                ("tasks", i, "day"),
                f"buffer day {task.day} falls on {when:%a %Y-%m-%d}, a business day; buffers "
                "sit on weekend dates (check calendar.start and calendar.weekend)",
            )
        if task.kind == "work" and not sprint.is_business_day(when):
            yield Problem(
                ("tasks", i, "day"),
                f"work day {task.day} falls on {when:%a %Y-%m-%d}, a weekend date or holiday "
                "(make it a buffer, or check calendar.start and calendar.weekend)",
            )
        for j, before in enumerate(task.after):
            yield from _dependency(plan, ("tasks", i, "after", j), task.id, task.day, before)


def _dependency(plan: Plan, loc: Loc, task_id: str, day: int, before: str) -> Iterator[Problem]:
    other = plan.by_id.get(before)
    if other is None:
        yield Problem(loc, f"{task_id} depends on unknown task {before!r}")
    elif other.kind == "buffer":
        yield Problem(loc, f"{task_id} depends on buffer day {before}; depend on work tasks")
    elif other.day >= day and before != task_id:
        yield Problem(
            loc, f"{task_id} (day {day}) depends on {before}, planned later (day {other.day})"
        )


def _cycles(plan: Plan) -> Iterator[Problem]:
    graph = {t.id: [a for a in t.after if a in plan.by_id] for t in plan.tasks}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle: list[str] = exc.args[1]
        index = next(i for i, t in enumerate(plan.tasks) if t.id == cycle[0])
        yield Problem(("tasks", index, "after"), "dependency cycle: " + " → ".join(cycle))


def _backlog(plan: Plan) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, item in enumerate(plan.backlog):
        if item.id in seen or item.id in plan.by_id:
            yield Problem(("backlog", i, "id"), f"backlog id {item.id!r} is already used")
        seen.add(item.id)
        if item.owner is not None and item.owner not in plan.people:
            yield Problem(
                ("backlog", i, "owner"), f"unknown owner {item.owner!r}{_known_people(plan)}"
            )
        for j, before in enumerate(item.after):
            if before not in plan.by_id:
                yield Problem(
                    ("backlog", i, "after", j), f"{item.id} depends on unknown task {before!r}"
                )


def _fallback(plan: Plan) -> Iterator[Problem]:
    placed: dict[str, str] = {}
    for i, group in enumerate(plan.fallback):
        for j, task_id in enumerate(group.tasks):
            if task_id not in plan.by_id:
                yield Problem(("fallback", i, "tasks", j), f"unknown task {task_id!r}")
            elif task_id in placed:
                yield Problem(
                    ("fallback", i, "tasks", j),
                    f"{task_id} is already in class {placed[task_id]!r}",
                )
            placed.setdefault(task_id, group.name)


def _escalation(plan: Plan) -> Iterator[Problem]:
    policy = plan.escalation
    launch = plan.by_id.get(policy.launch_task)
    if launch is None or launch.kind != "work":
        yield Problem(("escalation", "launch_task"), f"unknown work task {policy.launch_task!r}")
    yield from _role_held(plan, ("escalation", "decision_role"), policy.decision_role)
    yield from _channel(plan, ("escalation", "decision_channel"), policy.decision_channel)
    yield from _channel(plan, ("escalation", "delivery_channel"), policy.delivery_channel)
    for i, level in enumerate(policy.blocker_ladder):
        yield from _role_held(plan, ("escalation", "blocker_ladder", i, "role"), level.role)
        yield from _channel(plan, ("escalation", "blocker_ladder", i, "channel"), level.channel)


def _role_held(plan: Plan, loc: Loc, role: str) -> Iterator[Problem]:
    if role not in plan.roles:
        yield Problem(loc, f"unknown role {role!r}{_known(plan)}")
    elif not any(role in p.roles for p in plan.people.values()):
        yield Problem(loc, f"nobody holds role {role!r}")


def _channel(plan: Plan, loc: Loc, channel: str) -> Iterator[Problem]:
    kind, _, target = channel.partition(":")
    contacts = {
        "slack": {p.slack for p in plan.people.values()},
        "pagerduty": {p.pagerduty for p in plan.people.values()},
        "email": {p.email for p in plan.people.values()},
    }
    if kind == "slack" and target.startswith("#"):
        return  # a channel, not a person
    if target not in contacts.get(kind, set()):
        yield Problem(loc, f"{channel} is nobody's {kind} contact in people")


def _phases(plan: Plan) -> Iterator[Problem]:
    for i, phase in enumerate(plan.phases):
        if phase.last_day > plan.last_day:
            yield Problem(("phases", i, "last_day"), f"the plan ends on day {plan.last_day}")


def _known(plan: Plan) -> str:
    return f" (known roles: {', '.join(plan.roles)})"


def _known_people(plan: Plan) -> str:
    return f" (known people: {', '.join(plan.people)})"
