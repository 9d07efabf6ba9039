"""The Jira Cloud ticket sink: read the mapping and Jira's search, plan (tickets.py), apply.

Creates go in bulk (50 per request) with the fingerprint as an entity property and a label; each
chunk's mapping rows are saved as soon as Jira confirms it, then each new issue gets its CSV of
URLs. Updates rewrite the fields, replace the CSV when the URLs changed and comment on a
material change in their count. Resolved tickets go through the project's `Done` transition
(by name), regressions through the reopen transition. An issue deleted in Jira is created
again. Nothing here is sent twice by a rerun: the plan is rebuilt from the saved state.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from marketloop.integrations import jira_records as records
from marketloop.integrations.jira import JiraClient, JiraError
from marketloop.integrations.jira_issue import LABEL, PROPERTY, JiraTicket, comment
from marketloop.integrations.jira_records import Known
from marketloop.integrations.tickets import Remote, SyncPlan, plan_sync

BULK = 50
ATTACHERS = 2  # chunks whose attachments upload at once (besides the next bulk create)
CSV_NAME = "marketloop-urls.csv"


class JiraSink:
    def __init__(self, client: JiraClient, project: str, db_url: str) -> None:
        self.client = client
        self.project = project
        self.db_url = db_url
        self.errors: list[str] = []

    def remote(self) -> dict[str, Remote]:
        """Fingerprint -> issue, from Jira's search (eventually consistent: may miss new ones)."""
        jql = f'project = "{self.project}" AND labels = {LABEL} ORDER BY key'
        found: dict[str, Remote] = {}
        for issue in self.client.search(jql, ["status", "labels"], [PROPERTY]):
            prop = (issue.get("properties") or {}).get(PROPERTY) or {}
            fp = prop.get("fingerprint") or _label_fingerprint(issue["fields"].get("labels", []))
            if fp and fp not in found:
                category = issue["fields"]["status"].get("statusCategory", {}).get("key")
                found[fp] = Remote(issue["key"], category == "done")
        return found

    def plan(self, tickets: list[JiraTicket], present: set[str], sites: set[str]) -> SyncPlan:
        known = records.load(self.db_url, self.project)
        material = self.client.settings.material_change
        return plan_sync(tickets, present, known, self.remote(), sites, material)

    def apply(self, plan: SyncPlan) -> dict[str, int]:
        records.save(self.db_url, self.project, plan.adopted)
        # attachments upload in a few threads while the next bulk create goes out: the token
        # bucket (thread-safe) keeps the rate, the threads hide each request's latency
        with ThreadPoolExecutor(ATTACHERS, thread_name_prefix="jira-attach") as pool:
            pending = [
                pool.submit(self._attach_all, self._create(plan.create[start : start + BULK]))
                for start in range(0, len(plan.create), BULK)
            ]
            for job in pending:
                job.result()
        for ticket, known, say in plan.update:
            self._update(ticket, known, say)
        for ticket, known in plan.reopen:
            self._move(known, self.client.settings.reopen_transition, "open")
            self._update(ticket, replace(known, state="open"), say=False)
        for known in plan.resolve:
            self._move(known, self.client.settings.done_transition, "done")
        return plan.counts() | {"errors": len(self.errors)}

    def _create(self, chunk: list[JiraTicket]) -> list[tuple[JiraTicket, Known]]:
        """Bulk-create `chunk` and save its mapping rows; (ticket, row) of each created one."""
        settings = self.client.settings
        updates = [
            {"fields": t.fields(settings, self.project),
             "properties": [{"key": PROPERTY, "value": t.property()}]}
            for t in chunk
        ]  # fmt: skip
        answer = self.client.bulk_create(updates)
        failed = {e["failedElementNumber"]: e for e in answer.get("errors", [])}
        made = iter(answer.get("issues", []))
        rows = []
        for n, ticket in enumerate(chunk):
            if n in failed:
                self.errors.append(f"{ticket.check}: {_element_error(failed[n])}")
                continue
            key = next(made)["key"]
            rows.append(Known(ticket.fingerprint, key, ticket.check, ticket.site, ticket.count,
                              ticket.digest, "open"))  # fmt: skip
        records.save(self.db_url, self.project, rows)  # before anything else can fail
        created = [t for n, t in enumerate(chunk) if n not in failed]
        return list(zip(created, rows, strict=True))

    def _attach_all(self, made: list[tuple[JiraTicket, Known]]) -> None:
        attached = [self._attach(ticket, row) for ticket, row in made]
        records.save(self.db_url, self.project, attached)  # a row left without: next run attaches

    def _attach(self, ticket: JiraTicket, row: Known) -> Known:
        return replace(row, attachment_id=self.client.attach(row.issue_key, CSV_NAME, ticket.csv))

    def _update(self, ticket: JiraTicket, known: Known, say: bool) -> None:
        fields = ticket.fields(self.client.settings, self.project)
        for fixed in ("project", "issuetype"):
            fields.pop(fixed)
        try:
            self.client.edit(known.issue_key, fields)
        except JiraError as exc:
            if exc.status != 404:
                raise
            self._attach_all(self._create([ticket]))  # deleted in Jira: create it again
            return
        self.client.set_property(known.issue_key, PROPERTY, ticket.property())
        attachment = known.attachment_id
        if known.digest != ticket.digest or not attachment:
            if attachment:
                self.client.delete_attachment(attachment)
            attachment = self.client.attach(known.issue_key, CSV_NAME, ticket.csv)
        if say:
            self.client.comment(known.issue_key, comment(known.count, ticket.count, ticket.site))
        row = replace(known, count=ticket.count, digest=ticket.digest, attachment_id=attachment)
        records.save(self.db_url, self.project, [row])

    def _move(self, known: Known, transition: str, state: str) -> None:
        self.client.transition(known.issue_key, transition)
        records.save(self.db_url, self.project, [replace(known, state=state)])


def _label_fingerprint(labels: list[str]) -> str | None:
    return next((label[3:] for label in labels if label.startswith("ml-")), None)


def _element_error(error: dict[str, object]) -> str:
    body = error.get("elementErrors") or {}
    if isinstance(body, dict):
        parts = [
            *body.get("errorMessages", []),
            *(f"{k}: {v}" for k, v in (body.get("errors") or {}).items()),
        ]
        return "; ".join(str(p) for p in parts) or "rejected"
    return "rejected"
