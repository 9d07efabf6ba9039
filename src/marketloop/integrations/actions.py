"""The publishing actions: `publish.notion` and `publish.webhook` (`marketloop briefs publish`).

Both are safe to run again: Notion pages are found by their marketloop_id and updated in place,
and webhook events carry the same idempotency key and are not sent twice once delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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

    entries = read_folder(folder or ctx.workspace.root / "briefs")
    if only is not None:
        entries = [entry for entry in entries if entry.slug in set(only)]
    outcomes = send(entries)
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise IntegrationError(
            f"{len(failed)} of {len(outcomes)} publications failed (first: {failed[0].brief}: "
            f"{failed[0].detail})",
            hint="fix the cause and run the step again: what was published is not duplicated",
        )
    actions: dict[str, int] = {}
    for outcome in outcomes:
        actions[outcome.action] = actions.get(outcome.action, 0) + 1
    links = {o.brief: o.link for o in outcomes if str(o.link).startswith("http")}
    summary = ", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "nothing to publish"
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
]
