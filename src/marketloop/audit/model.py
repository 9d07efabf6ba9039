"""The auditor's vocabulary: severities, checks, thresholds, findings, issues and tickets.

A `Check` is data (STYLE.md habit 2): an id, a severity, the rows it looks at, what it means,
how to fix it, its configurable thresholds, and a `find` function that returns `Finding`s. The
engine turns findings into `Issue`s (adding severity, threshold and a priority score), and
`tickets.py` groups issues into `Ticket`s, one per check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from marketloop.crawl.dataset import Manifest


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    notice = "notice"

    @property
    def rank(self) -> int:
        """2 for critical, 1 for warning, 0 for notice: `a.rank >= b.rank` means at least b."""
        return {"critical": 2, "warning": 1, "notice": 0}[self.value]


@dataclass(frozen=True)
class Threshold:
    """A number a check compares against, set under `[audit.thresholds]` by `key`."""

    key: str
    default: float
    unit: str
    meaning: str
    minimum: float = 0.0
    maximum: float | None = None
    #: the key of a threshold this one may not exceed (a lower bound paired with an upper one)
    not_above: str | None = None

    def describe(self, value: float | None = None) -> str:
        shown = self.default if value is None else value
        number = f"{shown:g}"
        return f"{number} {self.unit}".strip()


@dataclass(frozen=True, slots=True)  # a million of them: no per-object dict
class Finding:
    """One problem a check found: the URL that has it, and what exactly is wrong."""

    url: str
    detail: str
    value: float | None = None
    threshold: float | None = None  # default: the check's first threshold


@dataclass(frozen=True)
class CheckContext:
    """What a check's `find` gets: the dataset views, its thresholds in force, the manifest."""

    con: duckdb.DuckDBPyConnection
    limits: Mapping[str, float]
    manifest: Manifest

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, dict(params or {}))
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


Finder = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    scope: str  # which rows the check looks at, in words
    description: str  # one line: what the issue is
    fix: str  # why it matters and how to fix it
    find: Finder
    thresholds: tuple[Threshold, ...] = ()
    #: a SQL check's query: the engine runs it inside DuckDB, its findings never become
    #: Python objects (`find` runs the same query for callers outside the engine)
    sql: str | None = None


@dataclass(frozen=True, slots=True)  # a million of them: no per-object dict
class Issue:
    check: str
    severity: Severity
    url: str
    detail: str
    value: float | None
    threshold: float | None
    priority: float

    def as_row(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "url": self.url,
            "detail": self.detail,
            "value": self.value,
            "threshold": self.threshold,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class UrlValue:
    """One affected URL's analytics over the impact window, and its weighted value."""

    url: str
    clicks: float
    impressions: float
    sessions: float
    leads: float
    open_deal_value: float
    value: float


@dataclass(frozen=True)
class Ticket:
    """All issues of one check: what a team pastes into its tracker."""

    check: str
    severity: Severity
    description: str
    fix: str
    urls: int
    impact: float  # summed priority of the issues, or the analytics value (impact.py)
    examples: tuple[Issue, ...]  # the highest-priority issues
    basis: str = "links"  # what `impact` is computed from: "links" or "analytics"
    top: tuple[UrlValue, ...] = ()  # with analytics: the most valuable URLs and their figures

    def as_row(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "urls": self.urls,
            "impact": self.impact,
            "basis": self.basis,
            "top": [u.__dict__ for u in self.top],
            "description": self.description,
            "examples": [issue.url for issue in self.examples],
            "fix": self.fix,
        }


def at_least(issues: Iterable[Issue], severity: Severity) -> list[Issue]:
    return [issue for issue in issues if issue.severity.rank >= severity.rank]
