"""`marketloop tickets sync` (the audit's tickets into Jira Cloud, idempotent and self-healing)
and `marketloop integrations check` (each configured connection tried)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from marketloop.audit.model import Severity
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    output_format,
    state,
)
from marketloop.workspace import Workspace

tickets_app = typer.Typer(
    help="Open and keep SEO tickets in an issue tracker (Jira Cloud).\n\n"
    "Example: marketloop tickets sync --to jira --project SEO --dry-run"
)


class Tracker(StrEnum):
    jira = "jira"


@tickets_app.command("sync")
def sync_command(
    ctx: typer.Context,
    to: Annotated[Tracker, typer.Option("--to", help="The tracker.")] = Tracker.jira,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Project key; default [jira] project.")
    ] = None,
    crawl: Annotated[
        Path | None, typer.Option("--crawl", help="Crawl dataset; default the latest.")
    ] = None,
    min_severity: Annotated[
        Severity, typer.Option("--min-severity", help="Create tickets at or above this.")
    ] = Severity.warning,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; change nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Sync the audit's tickets to Jira: create, update, resolve and reopen, never duplicate.

    One issue per check and site, ranked by impact (analytics when loaded), found again by a
    fingerprint kept on the issue and in the app database, so it is safe to run again at any
    time. Credentials: MARKETLOOP_JIRA_URL, MARKETLOOP_JIRA_EMAIL, MARKETLOOP_JIRA_TOKEN.

    Example: marketloop tickets sync --to jira --project SEO --min-severity warning --dry-run
    """
    from marketloop.integrations.tickets_run import sync_tickets

    settings = state(ctx).settings(workspace)
    folder = crawl or Workspace(settings.workspace).latest_crawl()
    with console.status(f"syncing the tickets of {folder.name} to Jira"):
        result = sync_tickets(
            settings, folder, project=project, min_severity=min_severity, dry_run=dry_run
        )
    if output_format(fmt, out) is OutputFormat.json:
        emit_json(result.as_json(), out)
        return
    verb = "would change" if dry_run else "synced"
    rows = [{"action": k, "issues": v} for k, v in result.counts.items()]
    title = f"Jira project {result.project}: {verb} ({result.crawl})"
    emit_rows(rows, fmt, title=title, out=out)
    for error in result.errors:
        console.print(f"[red]error:[/] {escape(error)}", highlight=False)


integrations_app = typer.Typer(
    help="Check the connections to every configured integration.\n\n"
    "Example: marketloop integrations check --format json"
)


@integrations_app.command("check")
def check_command(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Try each configured connection (auth, project, token, routing key); exit 1 if one fails.

    Example: MARKETLOOP_JIRA_TOKEN=... marketloop integrations check --format json
    """
    from marketloop.integrations.check import check_all

    results = check_all(state(ctx).settings(workspace))
    emit_rows([r.row() for r in results], fmt, title="Integrations", out=out)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)
