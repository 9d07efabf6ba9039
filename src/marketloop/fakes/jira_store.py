"""The state behind the fake Jira Cloud: projects, issues with fields, entity properties,
comments, attachments and workflow transitions, and the search index with its lag.

Jira's search is eventually consistent: an issue created or edited a moment ago may be missing
from `/rest/api/3/search/jql` (or show its old fields) until the index catches up. The store
keeps, per issue, the version the index has seen and when it saw it; `search` answers from
index versions at least `lag` seconds old.

JQL: the subset the sync needs, clauses joined by AND — `project = KEY`, `labels = x`,
`labels in (a, b)`, `statusCategory = done` / `!= done`, and `ORDER BY key|created [ASC|DESC]`.
Anything else is Jira's 400 (`JqlError`).
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

#: the simplified software workflow: status -> status category key
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
#: transitions of that workflow (any status to any other), id -> name (= target status)
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
ISSUE_TYPES = ("Task", "Bug", "Story", "Epic")


class JiraStoreError(Exception):
    """Jira's error shape: {"errorMessages": [...], "errors": {field: message}}."""

    def __init__(
        self, status: int, messages: list[str] | None = None, errors: Json | None = None
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.body: Json = {"errorMessages": messages or [], "errors": errors or {}}


class JqlError(JiraStoreError):
    def __init__(self, message: str) -> None:
        super().__init__(400, [message])


@dataclass
class Issue:
    id: str
    key: str
    project: str
    fields: Json
    created: float
    properties: Json = field(default_factory=dict)
    comments: list[Json] = field(default_factory=list)
    attachments: list[Json] = field(default_factory=list)
    indexed: list[tuple[float, Json]] = field(default_factory=list)  # (when, fields) versions

    def status(self) -> str:
        return str(self.fields["status"]["name"])


@dataclass
class Clause:
    field: str
    op: str
    values: tuple[str, ...]


@dataclass
class Jql:
    clauses: list[Clause]
    order: str = "key"
    descending: bool = False


_CLAUSE = re.compile(
    r"^\s*(project|labels|statusCategory)\s*(=|!=|in|not in)\s*(\(.*\)|\"[^\"]*\"|[\w.-]+)\s*$",
    re.IGNORECASE,
)
_ORDER = re.compile(r"\s+order\s+by\s+(key|created)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def parse_jql(text: str) -> Jql:
    """The supported JQL subset, or Jira's 400 naming what it could not parse."""
    order, descending = "key", False
    match = _ORDER.search(" " + text)
    if match:
        order, descending = match.group(1).lower(), (match.group(2) or "").lower() == "desc"
        text = (" " + text)[: match.start()]
    clauses = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE) if text.strip() else []:
        found = _CLAUSE.match(part)
        if not found:
            raise JqlError(
                f"Error in the JQL Query: the clause '{part.strip()[:80]}' is not valid."
            )
        name, op, raw = found.group(1), found.group(2).lower(), found.group(3)
        items = raw[1:-1].split(",") if raw.startswith("(") else [raw]
        values = tuple(v.strip().strip('"') for v in items if v.strip())
        clauses.append(Clause(name.lower(), op, values))
    return Jql(clauses, order, descending)


def matches(jql: Jql, project: str, fields: Json) -> bool:
    for clause in jql.clauses:
        if clause.field == "project":
            have = {project}
        elif clause.field == "labels":
            have = set(fields.get("labels") or [])
        else:
            have = {STATUSES[fields["status"]["name"]]}
        wanted = {v.lower() if clause.field == "statuscategory" else v for v in clause.values}
        negated = clause.op in ("!=", "not in")
        if bool(have & wanted) == negated:
            return False
    return True


class JiraStore:
    def __init__(self, projects: dict[str, str], lag: float = 0.0) -> None:
        self.projects = projects  # key -> name
        self.lag = lag
        self.issues: dict[str, Issue] = {}  # by key
        self._by_id: dict[str, str] = {}
        self._next = 10_000
        self._counters: dict[str, int] = {}

    def issue(self, id_or_key: str) -> Issue:
        key = self._by_id.get(id_or_key, id_or_key)
        if key not in self.issues:
            raise JiraStoreError(
                404, ["Issue does not exist or you do not have permission to see it."]
            )
        return self.issues[key]

    def create(self, fields: Json, properties: list[Json]) -> Issue:
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            raise JiraStoreError(400, errors={"project": "valid project is required"})
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            raise JiraStoreError(
                400, errors={"summary": "You must specify a summary of the issue."}
            )
        if len(fields["summary"]) > 255:
            raise JiraStoreError(
                400, errors={"summary": "Summary must be less than 255 characters."}
            )
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            raise JiraStoreError(400, errors={"issuetype": "Specify an issue type"})
        self._check(fields)
        self._next += 1
        self._counters[project] = self._counters.get(project, 0) + 1
        key = f"{project}-{self._counters[project]}"
        now = time.monotonic()
        stored = {k: copy.deepcopy(v) for k, v in fields.items()}
        stored["status"] = {"name": "To Do", "statusCategory": {"key": "new"}}
        stored.setdefault("labels", [])
        issue = Issue(str(self._next), key, project, stored, now)
        for prop in properties:
            issue.properties[str(prop["key"])] = copy.deepcopy(prop["value"])
        issue.indexed.append((now, copy.deepcopy(stored)))
        self.issues[key] = issue
        self._by_id[issue.id] = key
        return issue

    def edit(self, issue: Issue, fields: Json) -> None:
        for name in ("project", "issuetype", "status"):
            if name in fields:
                raise JiraStoreError(400, errors={name: f"Field '{name}' cannot be set."})
        self._check(fields)
        issue.fields.update(copy.deepcopy(fields))
        self.reindex(issue)

    def transition(self, issue: Issue, transition_id: str) -> None:
        name = TRANSITIONS.get(transition_id)
        if name is None:
            raise JiraStoreError(
                400, [f"Transition id '{transition_id}' is not valid for this issue."]
            )
        issue.fields["status"] = {"name": name, "statusCategory": {"key": STATUSES[name]}}
        self.reindex(issue)

    def reindex(self, issue: Issue) -> None:
        issue.indexed.append((time.monotonic(), copy.deepcopy(issue.fields)))

    def search(self, jql: Jql) -> list[tuple[Issue, Json]]:
        """Issues matching `jql` as the (lagging) index sees them: (issue, indexed fields)."""
        horizon = time.monotonic() - self.lag
        found = []
        for issue in self.issues.values():
            seen = [f for when, f in issue.indexed if when <= horizon]
            if seen and matches(jql, issue.project, seen[-1]):
                found.append((issue, seen[-1]))
        key = (lambda p: p[0].created) if jql.order == "created" else (lambda p: _key_order(p[0]))
        return sorted(found, key=key, reverse=jql.descending)

    @staticmethod
    def _check(fields: Json) -> None:
        priority = fields.get("priority")
        if priority is not None and priority.get("name") not in PRIORITIES:
            raise JiraStoreError(
                400, errors={"priority": "Specify the Priority (name) in the string format"}
            )
        labels = fields.get("labels")
        if labels is not None and (
            not isinstance(labels, list) or any(not isinstance(x, str) or " " in x for x in labels)
        ):
            raise JiraStoreError(400, errors={"labels": "The label can't contain spaces."})


def _key_order(issue: Issue) -> tuple[str, int]:
    project, _, number = issue.key.rpartition("-")
    return project, int(number)
