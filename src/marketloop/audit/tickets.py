"""Issues grouped into tickets, one per check, ordered by summed impact."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from marketloop.audit.model import Check, Issue, Ticket

EXAMPLES = 5


def tickets(issues: Iterable[Issue], checks: Mapping[str, Check]) -> list[Ticket]:
    by_check: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        by_check[issue.check].append(issue)
    made = []
    for check_id, group in by_check.items():
        check = checks[check_id]
        ranked = sorted(group, key=lambda i: (-i.priority, i.url))
        made.append(
            Ticket(
                check=check_id,
                severity=check.severity,
                description=check.description,
                fix=check.fix,
                urls=len({i.url for i in group}),
                impact=round(math.fsum(i.priority for i in group), 2),  # exact: cents
                examples=tuple(ranked[:EXAMPLES]),
            )
        )
    return sorted(made, key=lambda t: (-t.impact, -t.severity.rank, t.check))


def as_text(ticket: Ticket) -> str:
    """A ticket as plain text, ready to paste into Jira or GitHub."""
    lines = [
        f"[{ticket.severity.value}] {ticket.check}: {ticket.description}",
        f"Affected URLs: {ticket.urls} · impact {ticket.impact:g} ({ticket.basis})",
        *_top_lines(ticket),
        "",
        ticket.fix,
        "",
        "Examples:",
        *(f"- {issue.url} — {issue.detail}" for issue in ticket.examples),
    ]
    return "\n".join(lines)


def _top_lines(ticket: Ticket) -> list[str]:
    if not ticket.top:
        return []
    return [
        "",
        "Most valuable URLs (clicks · impressions · sessions · leads · open deal value):",
        *(
            f"- {u.url} — {u.clicks:g} · {u.impressions:g} · {u.sessions:g} · {u.leads:g} · "
            f"{u.open_deal_value:g} → {u.value:g}"
            for u in ticket.top
        ),
    ]
