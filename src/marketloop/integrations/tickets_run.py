"""`tickets sync` end to end: audit the crawl (ranked by analytics when loaded), turn its
tickets into Jira issues, plan against the mapping and Jira's search, apply unless dry-run.

    result = sync_tickets(settings, crawl_dir, project="SEO", min_severity=Severity.warning)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marketloop.audit.model import Severity
from marketloop.config import Settings, app_db_url
from marketloop.errors import IntegrationError
from marketloop.integrations.jira_issue import JiraTicket, build, fingerprint
from marketloop.integrations.tickets import SyncPlan


@dataclass
class SyncResult:
    project: str
    crawl: str
    dry_run: bool
    counts: dict[str, int]
    plan: SyncPlan
    errors: list[str] = field(default_factory=list)
    url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "crawl": self.crawl,
            "dry_run": self.dry_run,
            "jira": self.url,
            **self.counts,
            "create": [t.check for t in self.plan.create],
            "update": [k.issue_key for _, k, _ in self.plan.update],
            "reopen": [k.issue_key for _, k in self.plan.reopen],
            "resolve": [k.issue_key for k in self.plan.resolve],
            "errors": self.errors,
        }


def jira_tickets(
    settings: Settings, crawl_dir: Path, min_severity: Severity
) -> tuple[list[JiraTicket], set[str], str]:
    """The audit's tickets at or above `min_severity` as Jira tickets; every check's fingerprint
    that still has issues; the site."""
    from marketloop.audit import shown
    from marketloop.audit.analytics import page_values
    from marketloop.audit.engine import audit
    from marketloop.audit.store import as_issues

    result = audit(crawl_dir, settings, values=page_values(settings), save=False)
    site = urlsplit(result.dataset.manifest.start_url).hostname or "site"
    wanted = [t for t in result.tickets if t.severity.rank >= min_severity.rank]
    made = [  # only the wanted checks' issues become objects, one check at a time
        build(t, as_issues(shown.select(result.table, (), [t.check])), site, rank, settings.jira)
        for rank, t in enumerate(wanted, 1)
    ]
    present = {fingerprint(site, t.check) for t in result.tickets}
    return made, present, site


def sync_tickets(
    settings: Settings,
    crawl_dir: Path,
    *,
    project: str | None = None,
    min_severity: Severity = Severity.warning,
    dry_run: bool = False,
) -> SyncResult:
    from marketloop.integrations.jira import JiraClient
    from marketloop.integrations.tickets_sync import JiraSink

    key = project or settings.jira.project
    if not key:
        raise IntegrationError(
            "no Jira project given", hint="pass --project KEY or set [jira] project"
        )
    tickets, present, site = jira_tickets(settings, crawl_dir, min_severity)
    with JiraClient(settings.jira) as client:
        client.project(key)  # 404/403 here name the project, before anything is written
        sink = JiraSink(client, key, app_db_url(settings))
        plan = sink.plan(tickets, present, {site})
        counts = plan.counts() if dry_run else sink.apply(plan)
    return SyncResult(key, crawl_dir.name, dry_run, counts, plan, sink.errors, settings.jira.url)
