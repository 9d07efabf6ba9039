"""Publish a folder of briefs to Notion or to webhooks: one `Outcome` per brief and target.

What the CLI command and the demo call. A brief that fails does not stop the others, except
when the cause is shared by all (a rejected token, a database the integration cannot see,
Notion down past every retry): then the rest are marked `skipped` with that reason. Every
outcome is recorded in the app database before the next brief starts, so a killed run leaves
an accurate record, and running the same command again finishes the job without duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from marketloop.config import Settings, app_db_url, require_secret
from marketloop.errors import IntegrationError
from marketloop.integrations import records
from marketloop.integrations.brief_page import ID_PREFIX
from marketloop.integrations.briefs_folder import BriefFile
from marketloop.integrations.errors import (
    NotionAccessError,
    NotionAuthError,
    NotionError,
    NotionUnavailable,
)
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.notion_publish import NotionPublisher, PageResult
from marketloop.integrations.published import record_published
from marketloop.integrations.webhook_batch import send_many
from marketloop.integrations.webhooks import Delivery, WebhookSender, brief_event

SHARED_CAUSES = (NotionAuthError, NotionAccessError, NotionUnavailable)
OutcomeHook = Callable[["Outcome"], None]


@dataclass(frozen=True)
class Outcome:
    brief: str  # slug
    target: str  # notion, or the redacted webhook URL
    action: str  # created, updated, partial, sent, already sent, failed, skipped
    link: str = ""  # page URL, or HTTP status
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.action in {"failed", "skipped"}

    def row(self) -> dict[str, Any]:
        return {
            "brief": self.brief,
            "target": self.target,
            "action": self.action,
            "url/status": self.link,
            "detail": self.detail,
        }


def tally(outcomes: Sequence[Outcome], hint: str) -> dict[str, int]:
    """How many briefs each action got (created, updated, sent, ...); IntegrationError naming
    the first failure if any failed (`hint`: how to try again). The CLI and the actions both
    judge a publication by it."""
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise IntegrationError(
            f"{len(failed)} of {len(outcomes)} publications failed (first: {failed[0].brief}: "
            f"{failed[0].detail})",
            hint=hint,
        )
    counts: dict[str, int] = {}
    for outcome in sorted(outcomes, key=lambda o: o.action):
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return counts


def publish_to_notion(
    entries: Sequence[BriefFile],
    settings: Settings,
    *,
    on_outcome: OutcomeHook | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Outcome]:
    token = require_secret(settings.notion.token, section="notion", field="token")
    db_url = app_db_url(settings)
    outcomes: list[Outcome] = []
    with NotionClient(settings.notion, token, transport=transport) as client:
        publisher = NotionPublisher(client)
        publisher.prepare()  # token, sharing and columns checked before anything is written
        stop: NotionError | None = None
        for entry in entries:
            if stop is not None:
                outcome = Outcome(entry.slug, "notion", "skipped", detail=f"not tried: {stop}")
            else:
                outcome, error = _publish_page(publisher, entry, db_url)
                stop = error if isinstance(error, SHARED_CAUSES) else None
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes


def publish_to_webhooks(
    entries: Sequence[BriefFile],
    settings: Settings,
    *,
    urls: Sequence[str] | None = None,
    force: bool = False,
    on_outcome: OutcomeHook | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Outcome]:
    """A `brief.created` event per brief to every URL; unreadable briefs fail on their own."""
    outcomes = [
        Outcome(e.slug, "webhook", "failed", detail=e.error or "") for e in entries if not e.brief
    ]
    events = [(brief_event(e.brief), e.slug) for e in entries if e.brief]
    slugs = {event.id: slug for event, slug in events}

    def delivered(delivery: Delivery) -> None:
        if on_outcome:
            on_outcome(_delivery_outcome(slugs[delivery.event_id], delivery))

    for outcome in outcomes:
        if on_outcome:
            on_outcome(outcome)
    with WebhookSender(settings, transport=transport) as sender:
        deliveries = send_many(
            sender, [e for e, _ in events], urls, force=force, on_delivery=delivered
        )
    briefs = {e.slug: e.brief for e in entries if e.brief}
    db_url = app_db_url(settings)
    for slug in dict.fromkeys(slugs[d.event_id] for d in deliveries if d.delivered):
        record_published(db_url, briefs[slug], "webhook")
    return outcomes + [_delivery_outcome(slugs[d.event_id], d) for d in deliveries]


def _publish_page(
    publisher: NotionPublisher, entry: BriefFile, db_url: str
) -> tuple[Outcome, NotionError | None]:
    if entry.brief is None:
        return Outcome(entry.slug, "notion", "failed", detail=entry.error or ""), None
    try:
        result = publisher.publish(entry.brief, entry.draft)
    except NotionError as exc:
        key = f"{ID_PREFIX}{entry.slug}"
        records.save(
            db_url, records.NotionPublication, marketloop_id=key, action="failed", error=str(exc)
        )
        return Outcome(entry.slug, "notion", "failed", detail=str(exc)), exc
    action = "partial" if result.rejected else "created" if result.created else "updated"
    records.save(db_url, records.NotionPublication, **_publication(result, action))
    record_published(db_url, entry.brief, "notion")
    return Outcome(entry.slug, "notion", action, result.url, _page_detail(result)), None


def _page_detail(result: PageResult) -> str:
    parts = [f"{result.blocks} blocks"]
    if not result.created:
        parts.append(f"{result.kept} kept, {result.written} written, {result.deleted} deleted")
    parts += [f"block {r.index} rejected ({r.preview!r}): {r.message}" for r in result.rejected]
    return "; ".join(parts + result.notes)


def _publication(result: PageResult, action: str) -> dict[str, Any]:
    return {
        "marketloop_id": result.marketloop_id,
        "action": action,
        "page_id": result.page_id,
        "url": result.url,
        "blocks": result.blocks,
        "kept": result.kept,
        "written": result.written,
        "deleted": result.deleted,
        "rejected": [vars(r) for r in result.rejected] or None,
    }


def _delivery_outcome(slug: str, delivery: Delivery) -> Outcome:
    action = "already sent" if delivery.skipped else "sent" if delivery.delivered else "failed"
    status = "" if delivery.status is None else str(delivery.status)
    detail = delivery.error or f"{delivery.attempts} attempt(s), {delivery.latency_ms} ms"
    return Outcome(slug, delivery.url, action, status, "" if delivery.skipped else detail)
