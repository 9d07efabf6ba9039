"""The publishing actions: `publish.notion` and `publish.webhook` (`marketloop briefs publish`),
and `tickets` (`marketloop tickets sync`: the audit's tickets into Jira).

Both are safe to run again: Notion pages are found by their marketloop_id and updated in place,
and webhook events carry the same idempotency key and are not sent twice once delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.errors import IntegrationError

ONLY = "publish only the briefs with these slugs (the API passes the approved ones)"


class NotionArgs(Args):
    folder: Path | None = Field(None, description="briefs folder; default WORKSPACE/briefs")
    only: list[str] | None = Field(None, description=ONLY)
    database_id: str | None = Field(None, description="default [notion] database_id")


class WebhookArgs(Args):
    folder: Path | None = Field(None, description="briefs folder; default WORKSPACE/briefs")
    only: list[str] | None = Field(None, description=ONLY)
    urls: list[str] | None = Field(None, description="default [webhooks] urls")
    force: bool = False


def _publish(
    ctx: ActionContext,
    folder: Path | None,
    send: Callable[[Any], Sequence[Any]],
    only: list[str] | None = None,
) -> ActionResult:
    from marketloop.integrations.briefs_folder import read_folder
    from marketloop.integrations.publish import tally

    entries = read_folder(folder or ctx.workspace.root / "briefs")
    if only is not None:
        entries = [entry for entry in entries if entry.slug in set(only)]
    outcomes = send(entries)
    hint = "fix the cause and run the step again: what was published is not duplicated"
    actions = tally(outcomes, hint)
    links = {o.brief: o.link for o in outcomes if str(o.link).startswith("http")}
    summary = ", ".join(f"{n} {a}" for a, n in actions.items()) or "nothing to publish"
    return ActionResult(outputs=links, facts=actions, summary=summary)


def notion(ctx: ActionContext, args: NotionArgs) -> ActionResult:
    from marketloop.integrations.publish import publish_to_notion

    settings = ctx.settings
    if args.database_id:
        section = settings.notion.model_copy(update={"database_id": args.database_id})
        settings = settings.model_copy(update={"notion": section})
    return _publish(
        ctx, args.folder, lambda entries: publish_to_notion(entries, settings), args.only
    )


def webhook(ctx: ActionContext, args: WebhookArgs) -> ActionResult:
    from marketloop.integrations.publish import publish_to_webhooks

    return _publish(
        ctx,
        args.folder,
        lambda entries: publish_to_webhooks(
            entries, ctx.settings, urls=args.urls, force=args.force
        ),
        args.only,
    )


class TicketsArgs(Args):
    crawl: Path | None = Field(None, description="crawl dataset; default the latest")
    project: str | None = Field(None, description="Jira project key; default [jira] project")
    min_severity: Literal["critical", "warning", "notice"] = Field(
        "warning", description="create tickets at or above this severity"
    )
    dry_run: bool = False


def tickets(ctx: ActionContext, args: TicketsArgs) -> ActionResult:
    from marketloop.audit.model import Severity
    from marketloop.integrations.tickets_run import sync_tickets

    folder = args.crawl or ctx.workspace.latest_crawl()
    result = sync_tickets(
        ctx.settings,
        folder,
        project=args.project,
        min_severity=Severity(args.min_severity),
        dry_run=args.dry_run,
    )
    if result.errors:
        raise IntegrationError(
            f"{len(result.errors)} tickets were refused by Jira (first: {result.errors[0]})",
            hint="fix the cause and run the step again: what was synced is not duplicated",
        )
    summary = ", ".join(f"{n} {a}" for a, n in result.counts.items() if n) or "nothing to do"
    return ActionResult(
        outputs={"jira": f"{result.url}/projects/{result.project}"},
        facts=dict(result.counts),
        summary=summary,
    )


def _notify_args() -> type[Args]:
    from marketloop.integrations.run_alerts import NotifyArgs

    return NotifyArgs


def _notify(ctx: ActionContext, args: Any) -> ActionResult:
    from marketloop.integrations.run_alerts import notify

    return notify(ctx, args)


ACTIONS = [
    Action(
        "publish.notion",
        NotionArgs,
        notion,
        "one Notion page per brief, updated in place (`briefs publish --to notion`)",
        outputs="Notion pages (their URLs)",
    ),
    Action(
        "publish.webhook",
        WebhookArgs,
        webhook,
        "a signed brief.created event per brief (`briefs publish --to webhook`)",
        outputs="webhook deliveries (app database)",
    ),
    Action(
        "notify",
        _notify_args(),
        _notify,
        "tell a channel (Slack, PagerDuty) about runs that failed or a gate stopped, once each",
        outputs="messages (rows in notification_deliveries)",
    ),
    Action(
        "tickets",
        TicketsArgs,
        tickets,
        "the audit's tickets into Jira, idempotent (`tickets sync --to jira`)",
        outputs="Jira issues (mapping in the app database)",
        reads_warehouse=True,  # its audit ranks issues by the pages' GA4/GSC values
    ),
]
