"""Escalations delivered on the channel the plan names: `slack:#channel`, `slack:@person`,
`pagerduty:SERVICE` (the plan's `notifier = "channels"`).

A `plan.notify.Notifier`: `dispatch` records each escalation sent, so one escalation is one
message per channel. Slack gets a Block Kit message (who, task, reason, rules); PagerDuty a
trigger whose `dedup_key` is the escalation's key, so a resend never pages twice. `@person`
resolves through `[slack] users` (handle -> member id). A channel kind with no adapter (email
for now) is an error naming it, never a silent drop.
"""

from __future__ import annotations

import hashlib
from typing import Any

from marketloop.config import Settings, require_secret
from marketloop.errors import ConfigError
from marketloop.integrations.pagerduty import PagerDutyClient
from marketloop.integrations.slack import SlackClient
from marketloop.plan.escalation import Escalation

Json = dict[str, Any]


def blocks(plan_id: str, e: Escalation) -> tuple[str, list[Json]]:
    """The message's fallback text and its Block Kit blocks (plain_text: nothing is parsed)."""
    text = f"Escalation ({plan_id}): {e.task} → {e.to} ({e.person}): {e.reason}"
    return text, [
        {"type": "header", "text": {"type": "plain_text", "text": f"Escalation: {e.task}"[:150]}},
        {"type": "section", "text": {"type": "plain_text", "text": e.reason[:3000]},
         "fields": [{"type": "plain_text", "text": f"To: {e.to} ({e.person})"[:2000]},
                    {"type": "plain_text", "text": f"Level {e.level} · plan {plan_id}"[:2000]}]},
        {"type": "context",
         "elements": [{"type": "plain_text", "text": ", ".join(e.rules)[:2000] or "-"}]},
    ]  # fmt: skip


def dedup_key(plan_id: str, e: Escalation) -> str:
    return "ml-" + hashlib.sha256(f"{plan_id}|{e.key}".encode()).hexdigest()[:32]


class ChannelNotifier:
    name = "channels"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slack: SlackClient | None = None
        self._pagerduty: PagerDutyClient | None = None

    def __enter__(self) -> ChannelNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        for client in (self._slack, self._pagerduty):
            if client is not None:
                client.close()

    def send(self, plan_id: str, escalation: Escalation) -> None:
        kind, _, target = escalation.channel.partition(":")
        if kind == "slack":
            text, body = blocks(plan_id, escalation)
            self.slack().post(self._slack_target(target), text, body)
        elif kind == "pagerduty":
            self.pagerduty().trigger(
                dedup_key(plan_id, escalation),
                f"{escalation.task}: {escalation.reason}",
                source=f"marketloop plan {plan_id} ({target})",
                severity="critical" if escalation.level >= 3 else "error",
                task=escalation.task, to=escalation.to, person=escalation.person,
            )  # fmt: skip
        else:
            raise ConfigError(
                f"escalation for {escalation.task}: no adapter for channel {escalation.channel!r}",
                hint="use slack:#channel, slack:@person or pagerduty:SERVICE in the plan",
            )

    def deliver(self, channel: str, key: str, text: str, *, severity: str = "error") -> None:
        """One plain message on `channel`; `key` is PagerDuty's dedup key (one incident)."""
        kind, _, target = channel.partition(":")
        if kind == "slack":
            body = [{"type": "section", "text": {"type": "plain_text", "text": text[:3000]}}]
            self.slack().post(self._slack_target(target), text, body)
        elif kind == "pagerduty":
            self.pagerduty().trigger(key, text, source=f"marketloop ({target})", severity=severity)
        else:
            raise ConfigError(
                f"no adapter for channel {channel!r}",
                hint="use slack:#channel, slack:@person or pagerduty:SERVICE",
            )

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

    def slack(self) -> SlackClient:
        if self._slack is None:
            token = require_secret(self.settings.slack.token, section="slack", field="token")
            self._slack = SlackClient(self.settings.slack, token)
        return self._slack

    def pagerduty(self) -> PagerDutyClient:
        if self._pagerduty is None:
            section = self.settings.pagerduty
            key = require_secret(section.routing_key, section="pagerduty", field="routing_key")
            self._pagerduty = PagerDutyClient(section, key)
        return self._pagerduty
