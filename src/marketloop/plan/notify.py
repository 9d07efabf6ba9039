"""Sending escalations: one `Notifier` protocol, a console and a signed-webhook implementation.

`dispatch` sends what is pending and records a `notified` event for each one sent, so running
`plan escalations --notify` again does not send it twice (the key is task + level + reason: a
changed reason is news and goes out again). If a send fails, what went out before it is
already recorded and the rest goes out on the next run.

The webhook notifier is a thin adapter over the shared sender (`integrations.webhooks`): each
escalation is a `plan.escalation` event, signed with `[webhooks] secret`, retried with the
`[webhooks]` settings and recorded in `webhook_deliveries`. Its id depends only on plan, task,
level and reason, so an escalation delivered to a URL whose `notified` event was never written
(a crash between the two) is not delivered there again. Slack and PagerDuty adapters plug in
behind the same protocol.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx
from rich.console import Console
from rich.markup import escape as esc

from marketloop.config import Settings
from marketloop.errors import ConfigError, MarketloopError, PlanError, TransientError
from marketloop.integrations.pacing import RETRYABLE_STATUS
from marketloop.integrations.webhooks import Delivery, Event, WebhookSender
from marketloop.plan.escalation import Escalation
from marketloop.plan.tracker import Tracker, View

EVENT_TYPE = "plan.escalation"


class NotifyError(PlanError):
    """An escalation could not be delivered and retrying will not help (4xx, bad URL)."""


class NotifyUnavailable(NotifyError, TransientError):
    """The receiver is unreachable, rate-limited or failing (5xx): try again later."""


class Notifier(Protocol):
    name: str

    def send(self, plan_id: str, escalation: Escalation) -> None: ...


class ConsoleNotifier:
    name = "console"

    def __init__(self, console: Console) -> None:
        self.console = console

    def send(self, plan_id: str, escalation: Escalation) -> None:
        e = escalation
        who = f"[bold]{esc(plan_id)} → {esc(e.to)}[/] ({esc(e.person)}) via {e.channel}"
        self.console.print(f"{who}: [bold]{esc(e.task)}[/] {esc(e.reason)}")


class WebhookNotifier:
    """Delivers each escalation to `[plan] webhook_url`, else to every `[webhooks] urls`."""

    name = "webhook"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        urls = [settings.plan.webhook_url] if settings.plan.webhook_url else settings.webhooks.urls
        if not urls:
            raise ConfigError(
                "no webhook URL for escalations: plan.webhook_url and webhooks.urls are unset",
                hint="set MARKETLOOP_PLAN_WEBHOOK_URL, or `webhook_url = ...` under [plan]",
            )
        with ExitStack() as stack:
            self.sender = stack.enter_context(
                WebhookSender(settings, transport=transport, sleep=sleep)
            )
            self.urls = self.sender.urls(urls)
            self._resources = stack.pop_all()

    def __enter__(self) -> WebhookNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._resources.close()

    def send(self, plan_id: str, escalation: Escalation) -> None:
        """Deliver to every URL (one already delivered to is skipped); raise for the first
        that did not take it, after trying the others."""
        event = escalation_event(plan_id, escalation)
        deliveries = [self.sender.deliver(event, url) for url in self.urls]
        for delivery in deliveries:
            if not delivery.delivered:
                raise _failure(escalation.task, delivery)


def escalation_event(plan_id: str, escalation: Escalation) -> Event:
    """The `plan.escalation` event; its id is the same whenever the escalation is."""
    e = escalation
    key = json.dumps([plan_id, e.task, e.level, e.reason], ensure_ascii=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    data = {"plan": plan_id, "escalation": e.as_dict()}
    return Event(type=EVENT_TYPE, id=f"evt_{digest}", data=data)


def _failure(task: str, delivery: Delivery) -> NotifyError:
    url, tries = delivery.url, f"{delivery.attempts} attempt(s)"
    if delivery.status is None:
        return NotifyUnavailable(
            f"escalation for {task} not delivered to {url} after {tries}: {delivery.error}",
            hint="check [plan] webhook_url (else [webhooks] urls); it is not marked as sent, "
            "so the next run retries",
        )
    if delivery.status in RETRYABLE_STATUS or delivery.status >= 500:
        return NotifyUnavailable(
            f"escalation for {task}: {url} answered {delivery.status} after {tries}",
            hint="try again later; it is not marked as sent, so the next run retries",
            retry_after=delivery.retry_after,
        )
    if delivery.status >= 400:
        return NotifyError(
            f"escalation for {task}: {url} refused it with {delivery.status}",
            hint="check that [webhooks] secret matches the receiver's (a 401 says not)",
        )
    return NotifyError(  # a redirect: not followed, a signed payload goes only where configured
        f"escalation for {task}: {url} answered {delivery.status}",
        hint="set [plan] webhook_url to the final URL (redirects are not followed)",
    )


@dataclass(frozen=True)
class Notified:
    """What one `notify` did: the notifier, the escalations sent now and, on channels, how
    many reminders went out and how many pages were acknowledged and resolved."""

    notifier: str
    sent: list[Escalation]
    reminded: int = 0
    acknowledged: int = 0
    resolved: int = 0


def notify(
    settings: Settings, tracker: Tracker, view: View, at: datetime, console: Console
) -> Notified:
    """Send the pending escalations once through `[plan] notifier` (webhook, channels, or the
    console): the one way `plan escalations --notify` and the `plan.escalations` action send.
    On channels, escalations still in force past `[plan] remind_after_hours` (and not
    acknowledged) are reminded, acknowledged pages are acknowledged on PagerDuty and pages whose
    escalation cleared are resolved."""
    with ExitStack() as stack:
        if settings.plan.notifier == "channels":
            from marketloop.integrations.escalations import ChannelNotifier
            from marketloop.integrations.plan_channels import dispatch_escalations

            channels = stack.enter_context(ChannelNotifier(settings))
            remind = settings.plan.remind_after_hours
            done = dispatch_escalations(channels, tracker, view, at, remind)
            counts = len(done.reminded), len(done.acknowledged), len(done.resolved)
            return Notified(channels.name, done.sent, *counts)
        notifier: Notifier
        if settings.plan.notifier == "webhook":
            notifier = stack.enter_context(WebhookNotifier(settings))
        else:
            notifier = ConsoleNotifier(console)
        return Notified(notifier.name, dispatch(tracker, view, notifier, at))


def dispatch(tracker: Tracker, view: View, notifier: Notifier, at: datetime) -> list[Escalation]:
    """Send every pending escalation once; return the ones sent now."""
    sent = []
    for escalation in view.pending:
        notifier.send(tracker.plan.id, escalation)
        tracker.record_sent(escalation, at, notifier.name)
        sent.append(escalation)
    return sent


@dataclass(frozen=True)
class PageAcknowledged:
    """What telling PagerDuty of an acknowledgement did: the dedup keys acknowledged now, or the
    error that kept PagerDuty from being told (the acknowledgement stays recorded and the next
    dispatch sends it)."""

    acknowledged: list[str]
    error: MarketloopError | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "acknowledged": self.acknowledged,
            "error": self.error.message if self.error else None,
        }


def tell_pagerduty(
    settings: Settings, view: View, ref: str, at: datetime
) -> PageAcknowledged | None:
    """After `plan ack` (CLI or API) recorded the acknowledgement of escalation `ref`: with the
    channels notifier, acknowledge its open PagerDuty page at once (same dedup key, once).
    None when `[plan] notifier` is not `channels` (nothing to tell); never raises a delivery
    failure, it is returned in `error` for the face to show."""
    if settings.plan.notifier != "channels":
        return None
    from marketloop.integrations.plan_channels import acknowledge_page

    try:
        return PageAcknowledged(acknowledge_page(settings, view, ref, at))
    except MarketloopError as exc:  # a delivery failure, or channels not configured
        return PageAcknowledged([], exc)
