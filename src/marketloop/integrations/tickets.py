"""Deciding what a ticket sync does (pure): create, update, resolve, reopen or leave alone.

Inputs: the tickets the audit wants (`JiraTicket`), the fingerprints of every check that still
has issues (`present`; a `--min-severity` filter narrows what is created, never what is
resolved), the app database's mapping (`known`) and what Jira's search returned (`remote`,
which may lag behind by seconds). The mapping wins over a lagging search, so a run right after
another creates nothing twice; the search heals a lost mapping (issues carrying the fingerprint
are adopted, not duplicated) and shows issues someone closed by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from marketloop.integrations.jira_issue import JiraTicket
from marketloop.integrations.jira_records import Known


@dataclass(frozen=True)
class Remote:
    """An issue found by search: its key and whether its status category is done."""

    key: str
    done: bool


@dataclass
class SyncPlan:
    create: list[JiraTicket] = field(default_factory=list)
    update: list[tuple[JiraTicket, Known, bool]] = field(default_factory=list)  # bool: comment
    reopen: list[tuple[JiraTicket, Known]] = field(default_factory=list)
    resolve: list[Known] = field(default_factory=list)
    unchanged: list[Known] = field(default_factory=list)
    adopted: list[Known] = field(default_factory=list)  # found by search, not in the mapping

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.create),
            "updated": len(self.update),
            "reopened": len(self.reopen),
            "resolved": len(self.resolve),
            "unchanged": len(self.unchanged),
        }


class TicketSink(Protocol):
    """Where tickets go (Jira Cloud today): plan a sync, then apply it."""

    def plan(self, tickets: list[JiraTicket], present: set[str], sites: set[str]) -> SyncPlan: ...

    def apply(self, plan: SyncPlan) -> dict[str, int]: ...


def plan_sync(
    tickets: Iterable[JiraTicket],
    present: set[str],
    known: Mapping[str, Known],
    remote: Mapping[str, Remote],
    sites: set[str],
    material: float,
) -> SyncPlan:
    plan = SyncPlan()
    merged = dict(known)
    for fp, found in remote.items():
        state = "done" if found.done else "open"
        if fp not in merged:
            continue  # adopted below, once we know which ticket it is
        if merged[fp].issue_key == found.key and merged[fp].state != state:
            merged[fp] = replace(merged[fp], state=state)  # changed by hand in Jira
    wanted = {t.fingerprint: t for t in tickets}
    for fp, ticket in wanted.items():
        mine = merged.get(fp)
        if mine is None and fp in remote:
            found = remote[fp]
            mine = Known(
                fp, found.key, ticket.check, ticket.site, -1, "", "done" if found.done else "open"
            )
            plan.adopted.append(mine)
        if mine is None:
            plan.create.append(ticket)
        elif mine.state == "done":
            plan.reopen.append((ticket, mine))
        elif mine.digest != ticket.digest or mine.count != ticket.count or not mine.attachment_id:
            plan.update.append((ticket, mine, _material(mine.count, ticket.count, material)))
        else:
            plan.unchanged.append(mine)
    for fp, mine in merged.items():
        if fp not in present and mine.site in sites and mine.state == "open":
            plan.resolve.append(mine)
    return plan


def _material(before: int, after: int, threshold: float) -> bool:
    if before < 0:
        return False  # adopted: we do not know what it said
    return abs(after - before) > threshold * max(before, 1)
