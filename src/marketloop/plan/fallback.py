"""Fallback priorities: what to restore first when capacity is short (pure).

The plan lists priority classes in order (data integrity, automation stability, stakeholder
alignment, ...); tasks in no class come after them, earliest day first. `triage` fills the
available hours in that order and defers the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from marketloop.plan.model import Plan

REST = "lower-impact work"


@dataclass(frozen=True)
class Triage:
    focus: tuple[str, ...]  # work on these, in this order
    deferred: tuple[str, ...]  # until capacity frees up
    capacity: float
    hours: float  # hours the focus needs


def priority_class(plan: Plan, task_id: str) -> tuple[int, str]:
    """(rank, class name): rank 0 is restored first."""
    for rank, group in enumerate(plan.fallback):
        if task_id in group.tasks:
            return rank, group.name
    return len(plan.fallback), REST


def priority_order(plan: Plan, task_ids: Iterable[str]) -> list[str]:
    return sorted(task_ids, key=lambda t: (priority_class(plan, t)[0], plan.by_id[t].day))


def triage(plan: Plan, task_ids: Iterable[str], capacity: float) -> Triage:
    """Take tasks in priority order while their effort fits `capacity` hours.

    The first task is always taken (work starts on the most important thing even when it does
    not fit in one go); after that a task that does not fit is deferred, and so is the rest.
    """
    focus: list[str] = []
    deferred: list[str] = []
    hours = 0.0
    for task_id in priority_order(plan, task_ids):
        effort = plan.by_id[task_id].effort
        if not focus or (not deferred and hours + effort <= capacity):
            focus.append(task_id)
            hours += effort
        else:
            deferred.append(task_id)
    return Triage(tuple(focus), tuple(deferred), capacity, hours)
