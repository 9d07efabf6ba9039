"""Messages on the channels a plan names: `slack:#channel`, `slack:@person`,
`pagerduty:SERVICE` and `email:someone@example.com` (the plan's `notifier = "channels"`).

`ChannelNotifier` is a `plan.notify.Notifier` and the one way anything is sent on a channel:
every attempt is a row in `notification_deliveries` (deliveries.py), so one escalation is one
message per channel even when the plan event recording it was lost. Slack gets a Block Kit
message (plain_text: nothing in it is parsed), through the bot token or the incoming webhook;
PagerDuty a trigger whose `dedup_key` is the escalation's, so a resend never pages twice; email
a message with the same text. `@person` resolves through `[slack] users` (handle -> member id).

Later runs keep escalations honest (`follow_up`): one still unresolved and unacknowledged
`[plan] remind_after_hours` after its last message is sent again as a reminder (not to
PagerDuty, whose own policy re-notifies), the page of one a person acknowledged (`plan ack`)
gets an `acknowledge` with its dedup key, once, and a page whose condition has cleared is
resolved with its dedup key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from marketloop.config import Settings, app_db_url, require_secret
from marketloop.errors import ConfigError, MarketloopError
from marketloop.integrations.deliveries import Deliveries, Sent
from marketloop.integrations.mail import EmailClient
from marketloop.integrations.pagerduty import PagerDutyClient
from marketloop.integrations.slack import SlackClient
from marketloop.plan.escalation import DEDUP_PREFIX, Escalation, escalation_id
from marketloop.plan.model import CHANNEL_KINDS

Json = dict[str, Any]
KINDS = f"use {CHANNEL_KINDS}"


def blocks(plan_id: str, e: Escalation, head: str = "Escalation") -> tuple[str, list[Json]]:
    """The message's fallback text and its Block Kit blocks (plain_text: nothing is parsed)."""
    text = f"{head} ({plan_id}): {e.task} → {e.to} ({e.person}): {e.reason}"
    return text, [
        {"type": "header", "text": {"type": "plain_text", "text": f"{head}: {e.task}"[:150]}},
        {"type": "section", "text": {"type": "plain_text", "text": e.reason[:3000]},
         "fields": [{"type": "plain_text", "text": f"To: {e.to} ({e.person})"[:2000]},
                    {"type": "plain_text", "text": f"Level {e.level} · plan {plan_id}"[:2000]}]},
        {"type": "context",
         "elements": [{"type": "plain_text", "text": ", ".join(e.rules)[:2000] or "-"}]},
    ]  # fmt: skip


def plain_blocks(text: str) -> list[Json]:
    return [{"type": "section", "text": {"type": "plain_text", "text": text[:3000]}}]


def dedup_key(plan_id: str, e: Escalation) -> str:
    return DEDUP_PREFIX + escalation_id(plan_id, e)


def escalation_key(plan_id: str, e: Escalation) -> str:
    """The escalation's key in notification_deliveries."""
    return f"esc/{plan_id}/{dedup_key(plan_id, e)}"


class ChannelNotifier:
    name = "channels"

    def __init__(self, settings: Settings, *, db_url: str | None = None) -> None:
        self.settings = settings
        self.log = Deliveries(db_url or app_db_url(settings))
        #: channel -> the `ts` of a thread messages to it go into (the weekend check-in)
        self.threads: dict[str, str] = {}
        #: the moment deliveries are recorded at (reminders count from it); None: now
        self.at: datetime | None = None
        self._slack: SlackClient | None = None
        self._pagerduty: PagerDutyClient | None = None
        self._email: EmailClient | None = None

    def __enter__(self) -> ChannelNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        for client in (self._slack, self._pagerduty, self._email):
            if client is not None:
                client.close()

    # --- escalations (the plan.notify.Notifier protocol) -------------------------------------

    def send(self, plan_id: str, escalation: Escalation, *, action: str = "send") -> None:
        """Deliver one escalation on its channel, once (a reminder: again, marked as one)."""
        e = escalation
        key = escalation_key(plan_id, e)
        if action == "send" and self.log.last(key, e.channel) is not None:
            return  # delivered before; the plan event recording it was lost
        head = "Reminder: escalation" if action == "remind" else "Escalation"
        text, body = blocks(plan_id, e, head)
        self.deliver(
            e.channel, key, text, blocks=body, action=action, subject=f"{head}: {e.task}",
            severity="critical" if e.level >= 3 else "error",
            dedup=dedup_key(plan_id, e), source=f"marketloop plan {plan_id}",
            details={"task": e.task, "to": e.to, "person": e.person},
        )  # fmt: skip

    def follow_up(
        self,
        plan_id: str,
        current: tuple[Escalation, ...],
        at: datetime,
        remind_after: float,
        acknowledged: frozenset[str] | set[str] = frozenset(),
    ) -> tuple[list[Escalation], list[str], list[str]]:
        """Remind what is still unresolved and unacknowledged (escalation keys in
        `acknowledged` are not) `remind_after` hours (0: never) after its last message;
        acknowledge the open page of each acknowledged escalation, once; resolve each page whose
        escalation is no longer current. What was reminded, and the dedup keys acknowledged and
        resolved."""
        reminded = []
        for e in current:
            if remind_after <= 0 or e.channel.startswith("pagerduty:") or e.key in acknowledged:
                continue
            last = self.log.last(escalation_key(plan_id, e), e.channel)
            if last is not None and at - last.at >= timedelta(hours=remind_after):
                self.send(plan_id, e, action="remind")
                reminded.append(e)
        acked = self.acknowledge(plan_id, [e for e in current if e.key in acknowledged])
        keys = {escalation_key(plan_id, e) for e in current}
        resolved = []
        for page in self.open_pages(f"esc/{plan_id}/"):
            if page.key not in keys and page.detail:
                self.resolve(page.channel, page.key, page.detail)
                resolved.append(page.detail)
        return reminded, acked, resolved

    def acknowledge(self, plan_id: str, escalations: list[Escalation]) -> list[str]:
        """Acknowledge the open page of each escalation (someone has seen it), once: a page
        acknowledged, resolved or never sent is left alone. The dedup keys acknowledged now."""
        pages = {(p.key, p.channel): p for p in self.open_pages(f"esc/{plan_id}/")}
        acked = []
        for e in escalations:
            page = pages.get((escalation_key(plan_id, e), e.channel))
            if page is not None and page.action == "send" and page.detail:
                self._page("acknowledge", page.channel, page.key, page.detail)
                acked.append(page.detail)
        return acked

    # --- any message --------------------------------------------------------------------------

    def deliver(
        self,
        channel: str,
        key: str,
        text: str,
        *,
        blocks: list[Json] | None = None,
        subject: str | None = None,
        html: str | None = None,
        severity: str = "error",
        dedup: str | None = None,
        source: str = "marketloop",
        details: Json | None = None,
        thread_ts: str | None = None,
        action: str = "send",
    ) -> str | None:
        """One message on `channel`, recorded under `key`; what the service gave back (a Slack
        ts, the PagerDuty dedup key, an email Message-ID). Failures are recorded, then raised."""
        kind, _, target = channel.partition(":")
        try:
            if kind == "slack":
                thread = thread_ts or self.threads.get(channel)
                answer = self.slack().post(
                    self._slack_target(target), text, blocks or plain_blocks(text), thread
                )
                detail = answer.get("ts")
            elif kind == "pagerduty":
                detail = self.pagerduty().trigger(
                    dedup or key, text, source=f"{source} ({target})", severity=severity,
                    **(details or {}),
                )  # fmt: skip
            elif kind == "email":
                detail = self.email().send([target], subject or text.split("\n", 1)[0], text, html)
            else:
                raise ConfigError(f"no adapter for channel {channel!r}", hint=KINDS)
        except MarketloopError as exc:
            self.log.record(key, channel, error=str(exc), action=action, at=self.at)
            raise
        self.log.record(key, channel, action=action, detail=detail, at=self.at)
        return detail

    def resolve(self, channel: str, key: str, dedup: str) -> None:
        """Resolve the page `dedup` opened for `key` (its condition cleared); recorded."""
        self._page("resolve", channel, key, dedup)

    def open_pages(self, key_prefix: str, channel: str | None = None) -> list[Sent]:
        """Pages sent under `key_prefix` (on `channel`) and not resolved since, one per key and
        channel: the newest delivered row of each (`send`, or `acknowledge` once acknowledged)."""
        actions = ("send", "acknowledge", "resolve")
        rows = self.log.delivered(None, channel, actions, key_prefix=key_prefix)
        latest = {(r.key, r.channel): r for r in rows if r.channel.startswith("pagerduty:")}
        return [r for r in latest.values() if r.action != "resolve"]

    def _page(self, action: str, channel: str, key: str, dedup: str) -> None:
        """An Events API `acknowledge` or `resolve` of the page `dedup`, recorded under `key`."""
        client = self.pagerduty()
        event = client.acknowledge if action == "acknowledge" else client.resolve
        try:
            event(dedup)
        except MarketloopError as exc:
            self.log.record(key, channel, error=str(exc), action=action, detail=dedup, at=self.at)
            raise
        self.log.record(key, channel, action=action, detail=dedup, at=self.at)

    def _slack_target(self, target: str) -> str:
        if not target.startswith("@"):
            return target
        member = self.settings.slack.users.get(target[1:])
        if member is None:
            raise ConfigError(
                f"no Slack member id for {target}",
                hint=f'add {target[1:]} = "U..." under [slack.users] (DMs go by member id)',
            )
        return member

    # --- clients, made on first use -----------------------------------------------------------

    def slack(self) -> SlackClient:
        if self._slack is None:
            section = self.settings.slack
            if section.token is None and section.webhook_url is not None:
                hook = require_secret(section.webhook_url, section="slack", field="webhook_url")
                self._slack = SlackClient(section, webhook_url=hook)
            else:
                token = require_secret(section.token, section="slack", field="token")
                self._slack = SlackClient(section, token)
        return self._slack

    def pagerduty(self) -> PagerDutyClient:
        if self._pagerduty is None:
            section = self.settings.pagerduty
            key = require_secret(section.routing_key, section="pagerduty", field="routing_key")
            self._pagerduty = PagerDutyClient(section, key)
        return self._pagerduty

    def email(self) -> EmailClient:
        if self._email is None:
            self._email = EmailClient(self.settings.email)
        return self._email
