"""The demo's ticket step: the demo audit into a fake Jira Cloud, twice (nothing duplicated).

The fake (with its search lag on) stays up until the demo ends; the step prints its address and
the issues it holds, and leaves `reports/jira-tickets.json`: each issue as Jira stores it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pydantic import SecretStr
from rich.markup import escape

from marketloop.audit.model import Severity
from marketloop.clikit import console
from marketloop.fakes.jira import JiraFake
from marketloop.fakes.server import LocalServer
from marketloop.integrations.tickets_run import sync_tickets
from marketloop.workspace import write_atomic

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

PROJECT = "SEO"


def tickets_step(run: DemoRun) -> None:
    fake = JiraFake({PROJECT: "Website SEO"}, lag=2.0, rate=(50, 1.0))
    server = run.resources.enter_context(LocalServer(fake.app))
    email, token = next(iter(fake.accounts.items()))
    update = {"url": server.url, "email": email, "token": SecretStr(token), "project": PROJECT}
    section = run.settings.jira.model_copy(update=update | {"rate": 40.0})
    settings = run.settings.model_copy(update={"jira": section})
    crawl = run.outputs.get("crawl dataset") or run.workspace.latest_crawl()
    first = sync_tickets(settings, crawl, min_severity=Severity.notice)
    again = sync_tickets(settings, crawl, min_severity=Severity.notice)
    console.print(
        f"fake Jira at {server.url}: project {PROJECT}, {first.counts['created']} issues created; "
        f"synced again at once (search still lagging): {again.counts['created']} created, "
        f"{again.counts['unchanged']} unchanged"
    )
    for issue in sorted(fake.store.issues.values(), key=lambda i: int(i.key.split("-")[1]))[:5]:
        name = f"{issue.key} [{issue.fields['priority']['name']}] {issue.fields['summary']}"
        console.print(f"  {escape(name)}", highlight=False)
    issues = fake.store.issues.values()
    dump = [{"key": i.key, "fields": i.fields, "properties": i.properties} for i in issues]
    path = write_atomic(run.workspace.reports_dir / "jira-tickets.json", json.dumps(dump, indent=2))
    run.outputs["Jira tickets (fake)"] = path
