"""Run and step statuses, and the only transitions between them (Dagster's explicit statuses).

A status changes only through `store.transition`, which checks the move against these tables
and applies it with a compare-and-set, so two workers racing for one step cannot both win.
"""

from __future__ import annotations

from typing import Literal

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
StepStatus = Literal[
    "pending", "running", "succeeded", "failed", "skipped", "cancelled", "waiting_approval"
]

RUN_DONE: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
STEP_DONE: frozenset[str] = frozenset({"succeeded", "failed", "skipped", "cancelled"})

RUN_MOVES: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "succeeded", "failed", "cancelled"}),
    "running": frozenset({"succeeded", "failed", "cancelled"}),
}

STEP_MOVES: dict[str, frozenset[str]] = {
    # running→pending: a retry after a transient error, or a worker found dead (lease expired)
    "pending": frozenset({"running", "skipped", "cancelled", "waiting_approval"}),
    "waiting_approval": frozenset({"pending", "cancelled", "skipped"}),
    "running": frozenset({"succeeded", "failed", "pending", "cancelled"}),
}


def can_move(table: dict[str, frozenset[str]], old: str, new: str) -> bool:
    return new in table.get(old, frozenset())


def sources(table: dict[str, frozenset[str]], new: str) -> list[str]:
    """Every status that may move to `new`."""
    return sorted(old for old, targets in table.items() if new in targets)
