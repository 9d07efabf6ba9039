"""The loop action `notify`: tell a channel about loop runs that failed or that a gate stopped.

Runs as a step of a watching loop (e.g. every 15 minutes): it reads the newest runs from the
app database and sends one message per failed run to `channel` (`slack:#channel`,
`pagerduty:SERVICE` or `email:someone@example.com`), with the reason and a link to the run
(`[notify] dashboard_url`, else the command that shows it). PagerDuty's dedup key is the run
id, so nothing pages twice; once a later run of the same loop succeeds, the page is resolved
with that key. Each attempt is a row in `notification_deliveries`; a run already delivered to
a channel is not sent again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from marketloop.actions import ActionContext, ActionResult, Args
from marketloop.config import app_db_url
from marketloop.errors import IntegrationError, MarketloopError
from marketloop.integrations.escalations import ChannelNotifier
from marketloop.integrations.mail import header_text
from marketloop.plan.model import CHANNEL_KINDS, ChannelName

if TYPE_CHECKING:
    from marketloop.runner.store import Store


class NotifyArgs(Args):
    channel: ChannelName = Field(description=CHANNEL_KINDS)
    loop: str | None = Field(None, description="only runs of this loop; default every loop")
    limit: int = Field(50, ge=1, le=500, description="newest runs looked at")
    resolve: bool = Field(
        True, description="resolve a run's page once a later run of its loop succeeded"
    )


def run_link(dashboard_url: str | None, run_id: str) -> str:
    if dashboard_url:
        return f"{dashboard_url.rstrip('/')}/runs/{run_id}"
    return f"`marketloop loop status {run_id}`"


def message(run_id: str, loop: str, reason: str | None, gated: bool, link: str) -> str:
    what = "was stopped by a gate" if gated else "failed"
    why = header_text(reason or "no reason recorded", 1000)
    return f"marketloop: run {run_id} of loop {loop} {what}: {why}\nRun: {link}"


def notify(ctx: ActionContext, args: NotifyArgs) -> ActionResult:
    from marketloop.runner.store import Store

    store = Store(app_db_url(ctx.settings))
    runs, _ = store.runs(loop=args.loop, limit=args.limit)
    sent, resolved, failed = 0, 0, []
    with ChannelNotifier(ctx.settings) as channels:
        for run in runs:
            key = f"run-{run.id}"
            if run.status != "failed" or run.id == ctx.run_id:
                continue
            if channels.log.last(key, args.channel) is not None:
                continue
            gated = any(s.gate and s.gate.get("result") == "fail" for s in store.steps(run.id))
            link = run_link(ctx.settings.notify.dashboard_url, run.id)
            text = message(run.id, run.loop, run.reason, gated, link)
            subject = f"marketloop: run of {run.loop} {'gated' if gated else 'failed'}"
            try:
                channels.deliver(args.channel, key, text, subject=subject, severity="error")
            except MarketloopError as exc:
                failed.append(f"{run.id}: {exc}")
                continue
            sent += 1
        if args.resolve and args.channel.startswith("pagerduty:"):
            resolved = _resolve_recovered(channels, store, args.channel, failed)
    if failed:
        raise IntegrationError(
            f"{len(failed)} run alerts not delivered (first: {failed[0]})",
            hint="fix the cause and run the step again: what was delivered is not sent twice",
        )
    summary = f"{sent} run alerts sent to {args.channel}"
    return ActionResult(
        facts={"sent": sent, "resolved": resolved},
        summary=summary + (f", {resolved} pages resolved" if resolved else ""),
    )


def _resolve_recovered(
    channels: ChannelNotifier, store: Store, channel: str, failed: list[str]
) -> int:
    """Resolve each open run page on `channel` whose loop has succeeded since."""
    from marketloop.runner.store import RunNotFound

    resolved = 0
    for page in channels.open_pages("run-", channel):
        try:
            run = store.run(page.key.removeprefix("run-"))
        except RunNotFound:
            continue
        later, _ = store.runs(loop=run.loop, limit=1, status="succeeded")
        if later and later[0].created_at > run.created_at and page.detail:
            try:
                channels.resolve(channel, page.key, page.detail)
            except MarketloopError as exc:
                failed.append(f"resolve {run.id}: {exc}")
                continue
            resolved += 1
    return resolved
