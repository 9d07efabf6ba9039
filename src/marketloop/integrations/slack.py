"""Posting to Slack: `chat.postMessage` with Block Kit through a bot token, or an incoming
webhook as the simple alternative (httpx, through pacing.Paced).

Slack allows about one message per second per channel: each channel (and the webhook) has its
own token bucket (`[slack] per_channel_rate`). A 429 is waited out for its `Retry-After`
(capped) and retried; a refused call (`{"ok": false, "error": code}` from the Web API, a plain
text code such as `invalid_payload` or `no_service` from a webhook) becomes one line that says
what to do. A webhook posts to the one channel it was made for and answers no `ts`, so it
cannot start a thread: with a webhook only, thread replies go out as plain messages.

Text from outside reaches Slack either as `plain_text` blocks (never parsed) or through
`mrkdwn_escape`, which escapes the three characters Slack's formatting reserves (`&`, `<`, `>`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import Field, SecretStr, field_validator

from marketloop import __version__
from marketloop.errors import IntegrationError, TransientError
from marketloop.integrations.config import https_or_loopback
from marketloop.integrations.pacing import Paced, TokenBucket
from marketloop.section import Section

Json = dict[str, Any]
ADVICE = {
    "not_authed": "set MARKETLOOP_SLACK_TOKEN (the bot token, xoxb-...)",
    "invalid_auth": "MARKETLOOP_SLACK_TOKEN is wrong or revoked: copy the bot token again",
    "account_inactive": "the token's app or user was deactivated: reinstall the app",
    "channel_not_found": "check the channel name, and invite the app to a private channel",
    "not_in_channel": "invite the app to the channel (/invite @app)",
    "is_archived": "the channel is archived: choose another in the plan",
    "missing_scope": "add the chat:write scope to the app and reinstall it",
    "no_text": "a message needs text or blocks (this is a bug)",
    "invalid_blocks": "Slack rejected the Block Kit payload (this is a bug)",
    "msg_too_long": "the message is over 40,000 characters",
    # incoming webhooks answer these as plain text
    "invalid_payload": "Slack could not read the webhook's JSON (this is a bug)",
    "no_service": "the webhook URL is wrong, or the webhook was removed: make a new one and set "
    "MARKETLOOP_SLACK_WEBHOOK_URL",
    "channel_is_archived": "the webhook's channel is archived: make a webhook for another channel",
    "action_prohibited": "a Slack admin restricted posting to the webhook's channel",
    "invalid_token": "the webhook URL is wrong or revoked: set MARKETLOOP_SLACK_WEBHOOK_URL again",
}


class SlackSettings(Section):
    token: SecretStr | None = Field(
        None, description="bot token, xoxb-... (MARKETLOOP_SLACK_TOKEN)"
    )
    webhook_url: SecretStr | None = Field(
        None,
        description="incoming webhook, https://hooks.slack.com/services/... "
        "(MARKETLOOP_SLACK_WEBHOOK_URL); used when no token is set, posts to its own channel",
    )
    base_url: str = Field("https://slack.com/api", description="API root; a fake in tests")
    per_channel_rate: float = Field(1.0, gt=0, description="messages per second per channel")
    retries: int = Field(3, ge=0, le=10, description="retries of 429 and 5xx")
    max_retry_after: float = Field(60.0, gt=0, description="longest Retry-After honoured")
    timeout: float = Field(15.0, gt=0, description="seconds for one request")
    users: dict[str, str] = Field(
        default_factory=dict, description="handle (as in the plan, without @) -> member id"
    )

    @field_validator("webhook_url")
    @classmethod
    def _safe_webhook(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and url.get_secret_value():
            https_or_loopback(url.get_secret_value(), "slack.webhook_url")
        return url


class SlackError(IntegrationError):
    pass


class SlackUnavailable(TransientError, SlackError):
    pass


def mrkdwn_escape(text: str) -> str:
    """Outside text for a `mrkdwn` field: `&`, `<` and `>` as Slack's entities, so no `<!here>`,
    `<@U..>` or `<url|label>` in it becomes a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackClient:
    """`token`: the Web API; else `webhook_url`: the incoming webhook."""

    def __init__(
        self,
        settings: SlackSettings,
        token: str | None = None,
        *,
        webhook_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token and not webhook_url:
            raise ValueError("a Slack client needs a token or a webhook URL")
        self.settings = settings
        self.webhook_url = None if token else webhook_url
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        headers = {"User-Agent": f"marketloop/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/", headers=headers, timeout=settings.timeout
        )
        self._paced = Paced(
            "slack", self._http, retries=settings.retries,
            max_retry_after=settings.max_retry_after, sleep=sleep,
        )  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def auth_test(self) -> Json:
        return self.call("auth.test", {})

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[Json] | None = None,
        thread_ts: str | None = None,
    ) -> Json:
        """Post to `channel` (id or #name), paced per channel; Slack's answer (`ts`, `channel`).
        Through a webhook, `channel` is only the pacing key and the answer has no `ts`."""
        body: Json = {"text": mrkdwn_escape(text)}  # Slack formats `text`: no mention, no link
        if blocks:
            body["blocks"] = blocks
        if thread_ts:
            body["thread_ts"] = thread_ts
        if self.webhook_url is not None:
            return self._webhook(body)
        return self.call("chat.postMessage", {"channel": channel, **body}, self._bucket(channel))

    def call(self, method: str, body: Json, bucket: TokenBucket | None = None) -> Json:
        response = self._send(method, body, bucket, f"Slack {method}")
        answer: Json = response.json()
        if not answer.get("ok"):
            code = str(answer.get("error"))
            channel = f" to {body['channel']}" if "channel" in body else ""
            raise SlackError(f"Slack refused {method}{channel}: {code}", hint=ADVICE.get(code))
        return answer

    def _webhook(self, body: Json) -> Json:
        assert self.webhook_url is not None
        response = self._send(self.webhook_url, body, self._bucket("webhook"), "the Slack webhook")
        if response.status_code != 200:
            code = response.text.strip()[:100] or response.reason_phrase
            raise SlackError(
                f"the Slack webhook refused the message ({response.status_code}): {code}",
                hint=ADVICE.get(code),
            )
        return {"ok": True, "ts": None}

    def _send(self, url: str, body: Json, bucket: TokenBucket | None, what: str) -> httpx.Response:
        try:
            response = self._paced.send("POST", url, json=body, bucket=bucket, retry_failures=False)
        except httpx.TransportError as exc:
            raise SlackUnavailable(f"{what} did not answer: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise SlackUnavailable(
                f"{what} kept answering {response.status_code}", hint="try again later"
            )
        return response

    def _bucket(self, channel: str) -> TokenBucket:
        return self._buckets.setdefault(
            channel, TokenBucket(self.settings.per_channel_rate, 1, sleep=self._sleep)
        )
