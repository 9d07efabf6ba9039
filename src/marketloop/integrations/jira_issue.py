"""What one audit ticket becomes in Jira (pure): fingerprint, summary, labels, priority, an
Atlassian Document Format description and the CSV of every affected URL.

The fingerprint (check × site) is what makes the sync idempotent: it is stored on the Jira issue
as the entity property `marketloop.ticket` and as a label `ml-<fingerprint>`, and in the app
database's mapping table. `digest` changes when the URL set changes (update needed).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from marketloop.api.csvout import safe_cell
from marketloop.audit.model import Issue, Ticket
from marketloop.integrations.jira_config import JiraSettings

PROPERTY = "marketloop.ticket"
LABEL = "marketloop"
TOP_URLS = 10
Json = dict[str, Any]


@dataclass(frozen=True)
class JiraTicket:
    fingerprint: str
    check: str
    site: str
    summary: str
    priority: str
    labels: tuple[str, ...]
    count: int
    digest: str
    description: Json
    csv: bytes
    assignee: str | None = None

    def fields(self, settings: JiraSettings, project: str) -> Json:
        out: Json = {
            "project": {"key": project},
            "issuetype": {"name": settings.issue_type},
            "summary": self.summary,
            "description": self.description,
            "labels": list(self.labels),
            "priority": {"name": self.priority},
        }
        if self.assignee:
            out["assignee"] = {"accountId": self.assignee}
        return out

    def property(self) -> Json:
        return {"fingerprint": self.fingerprint, "check": self.check, "site": self.site,
                "count": self.count, "digest": self.digest}  # fmt: skip


def fingerprint(site: str, check: str) -> str:
    return hashlib.sha256(f"{site}\n{check}".encode()).hexdigest()[:16]


def build(
    ticket: Ticket,
    issues: Sequence[Issue],
    site: str,
    rank: int,
    settings: JiraSettings,
) -> JiraTicket:
    """The Jira form of `ticket` (its `issues` are all of its check), ranked `rank` (1 = top)."""
    mine = sorted({i.url: i for i in issues if i.check == ticket.check}.values(), key=_order)
    fp = fingerprint(site, ticket.check)
    urls = [i.url for i in mine]
    digest = hashlib.sha256("\n".join(sorted(urls)).encode()).hexdigest()[:16]
    top = "top" if rank <= settings.top else ticket.severity.value
    priority = settings.priorities.get(top) or settings.priorities.get(
        ticket.severity.value, "Medium"
    )
    labels = (LABEL, f"ml-{fp}", _label(ticket.check), *settings.labels)
    summary = f"[SEO] {ticket.description} ({len(urls)} URLs on {site})"[:255]
    return JiraTicket(
        fingerprint=fp,
        check=ticket.check,
        site=site,
        summary=summary,
        priority=priority,
        labels=tuple(dict.fromkeys(labels)),
        count=len(urls),
        digest=digest,
        description=description(ticket, mine, site),
        csv=urls_csv(mine),
        assignee=_assignee(ticket.check, settings.assignees),
    )


def _order(issue: Issue) -> tuple[float, str]:
    return -issue.priority, issue.url


def _label(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:255]


def _assignee(check: str, assignees: dict[str, str]) -> str | None:
    for prefix in sorted(assignees, key=len, reverse=True):
        if check.startswith(prefix):
            return assignees[prefix]
    return None


def description(ticket: Ticket, issues: Sequence[Issue], site: str) -> Json:
    """ADF: what is wrong, why it matters and how to fix it, the top URLs, the total count."""
    values = {u.url: u for u in ticket.top}
    rows = []
    for issue in issues[:TOP_URLS]:
        value = values.get(issue.url)
        figures = (
            f" — {value.clicks:g} clicks, {value.sessions:g} sessions, {value.leads:g} leads"
            if value
            else ""
        )
        rows.append(_item([_link(issue.url), _text(f" ({issue.detail}){figures}")]))
    impact = (
        f"Impact {ticket.impact:g} ({'analytics' if ticket.basis == 'analytics' else 'link graph'})"
    )
    content = [
        _para([_text("What is wrong: ", strong=True), _text(ticket.description)]),
        _para([_text("Why it matters and how to fix it: ", strong=True), _text(ticket.fix)]),
        _para([_text(f"{len(issues)} URLs on {site} · {ticket.severity.value} · {impact}")]),
        {"type": "heading", "attrs": {"level": 3}, "content": [_text("Top URLs")]},
        {"type": "bulletList", "content": rows} if rows else _para([_text("None.")]),
        _para([_text("Every URL is in the attached CSV. Kept up to date by marketloop.")]),
    ]
    return {"type": "doc", "version": 1, "content": content}


def comment(before: int, after: int, site: str) -> Json:
    text = f"marketloop: the affected URLs on {site} went from {before} to {after}."
    return {"type": "doc", "version": 1, "content": [_para([_text(text)])]}


def urls_csv(issues: Sequence[Issue]) -> bytes:
    """Every affected URL, its detail and priority; cells that a spreadsheet would run as a
    formula (`=`, `+`, `-`, `@`, …) are neutralised with a leading `'`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["url", "severity", "detail", "priority"])
    for i in issues:
        writer.writerow([safe_cell(i.url), i.severity.value, safe_cell(i.detail), i.priority])
    return buffer.getvalue().encode()


def _text(text: str, *, strong: bool = False) -> Json:
    node: Json = {"type": "text", "text": text}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node


def _link(url: str) -> Json:
    """The URL as a link when it is http(s); any other scheme stays plain text."""
    if not url.startswith(("http://", "https://")):
        return _text(url)
    return {"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]}


def _para(content: list[Json]) -> Json:
    return {"type": "paragraph", "content": content}


def _item(content: list[Json]) -> Json:
    return {"type": "listItem", "content": [_para(content)]}
