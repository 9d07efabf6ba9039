"""The plan's cadence messages, as text (pure): the 09:00 stand-up digest, the 14:00 triage
reminder and the weekend async check-in (a parent message and one reply per open item, posted
in its thread). Each says which days it is for: `due(kind, view)` is False on the other days
(the plan's own calendar: its weekend and holidays), so a daily schedule may run them all.

Every message has a `key` (plan, kind, local date; a reply adds its item), so a rerun of the
same slot sends nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from marketloop.plan.tracker import View
from marketloop.plan.views import sprint_day, task_rows

Kind = Literal["standup", "triage", "checkin"]
KINDS: tuple[Kind, ...] = ("standup", "triage", "checkin")


@dataclass(frozen=True)
class Message:
    key: str
    subject: str
    text: str


@dataclass(frozen=True)
class Digest:
    head: Message
    replies: tuple[Message, ...] = ()  # the check-in's thread


def due(kind: Kind, view: View) -> bool:
    """Stand-up and triage on business days, the check-in on weekend days (and holidays)."""
    business = view.plan.sprint.is_business_day(view.plan.sprint.local_date(view.at))
    return business if kind != "checkin" else not business


def digest_key(view: View, kind: Kind) -> str:
    return f"digest/{view.plan.id}/{kind}/{view.plan.sprint.local_date(view.at).isoformat()}"


def build(kind: Kind, view: View) -> Digest:
    return {"standup": standup, "triage": triage, "checkin": checkin}[kind](view)


def _title(view: View, what: str) -> str:
    today = view.plan.sprint.local_date(view.at)
    return f"{what}, {view.plan.name}: {today:%a %b %d} (sprint day {sprint_day(view)})"


def _blockers(view: View) -> list[str]:
    sprint = view.plan.sprint
    found = []
    for task in view.plan.tasks:
        block = view.state.task(task.id).open_block
        if block is not None:
            since = f"{sprint.local(block.since):%a %H:%M}"
            found.append(f"{task.id} ({view.plan.owner_label(task)}) since {since}: {block.reason}")
    return found


def _escalations(view: View) -> list[str]:
    return [f"{e.task} → {e.to} ({e.person}): {e.reason}" for e in view.escalations]


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title}:", *(f"• {line}" for line in lines or ["none"])]


def standup(view: View) -> Digest:
    today = view.plan.sprint.local_date(view.at)
    rows = [r for r in task_rows(view) if not str(r["status"]).startswith("buffer")]
    due_today = [f"{r['task']} {r['focus']} ({r['owner']}): {r['status']}"
                 for r in rows if r["forecast"] == today and r["status"] != "done"]  # fmt: skip
    behind = [f"{r['task']} {r['focus']} ({r['owner']}): {r['status']}, {r['variance']:+d} d"
              for r in rows if r["status"] in {"late", "slipped", "blocked"}]  # fmt: skip
    lines = [
        _title(view, "Daily stand-up"),
        f"Forecast end: {view.schedule.end:%a %b %d}; "
        f"critical path: {' → '.join(view.schedule.critical_path) or 'none open'}",
        *_section("Due today", due_today),
        *_section("Behind", behind),
        *_section("Open blockers", _blockers(view)),
        *_section("Escalations in force", _escalations(view)),
    ]
    return Digest(Message(digest_key(view, "standup"), lines[0], "\n".join(lines)))


def triage(view: View) -> Digest:
    lines = [
        _title(view, "Blocker triage window"),
        "Bring each open blocker with its next step, owner and time to clear.",
        *_section("Open blockers", _blockers(view)),
        *_section("Escalations in force", _escalations(view)),
    ]
    return Digest(Message(digest_key(view, "triage"), lines[0], "\n".join(lines)))


def checkin(view: View) -> Digest:
    key = digest_key(view, "checkin")
    head = _title(view, "Weekend async check-in")
    text = f"{head}\nReply in this thread with progress and blockers; open items follow."
    today = view.plan.sprint.local_date(view.at)
    items = [f"Blocker: {line}" for line in _blockers(view)]
    items += [f"Escalation: {line}" for line in _escalations(view)]
    items += [f"Buffer {use.task}: {use.note}" for use in view.schedule.buffers
              if use.date == today]  # fmt: skip
    replies = tuple(Message(f"{key}/{_digest(item)}", head, item) for item in items)
    return Digest(Message(key, head, text), replies)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
