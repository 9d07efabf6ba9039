"""Posting to Slack: `chat.postMessage` with Block Kit through a bot token (httpx).

Slack allows about one message per second per channel: each channel has its own token bucket
(`[slack] per_channel_rate`). A 429 is waited out for its `Retry-After` (capped) and retried;
a refused call (`{"ok": false, "error": code}`) becomes one line that says what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import Field, SecretStr

from marketloop import __version__
from marketloop.errors import IntegrationError, TransientError
from marketloop.integrations.outcomes import record_request
from marketloop.integrations.pacing import TokenBucket, retry_delay
from marketloop.retry import parse_retry_after
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
}


class SlackSettings(Section):
    token: SecretStr | None = Field(
        None, description="bot token, xoxb-... (MARKETLOOP_SLACK_TOKEN)"
    )
    base_url: str = Field("https://slack.com/api", description="API root; a fake in tests")
    per_channel_rate: float = Field(1.0, gt=0, description="messages per second per channel")
    retries: int = Field(3, ge=0, le=10, description="retries of 429 and 5xx")
    max_retry_after: float = Field(60.0, gt=0, description="longest Retry-After honoured")
    timeout: float = Field(15.0, gt=0, description="seconds for one request")
    users: dict[str, str] = Field(
        default_factory=dict, description="handle (as in the plan, without @) -> member id"
    )


class SlackError(IntegrationError):
    pass


class SlackUnavailable(TransientError, SlackError):
    pass


class SlackClient:
    def __init__(
        self,
        settings: SlackSettings,
        token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"marketloop/{__version__}"},
            timeout=settings.timeout,
        )

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
        """Post to `channel` (id or #name), paced per channel; Slack's answer (`ts`, `channel`)."""
        bucket = self._buckets.setdefault(
            channel, TokenBucket(self.settings.per_channel_rate, 1, sleep=self._sleep)
        )
        bucket.acquire()
        body: Json = {"channel": channel, "text": text}
        if blocks:
            body["blocks"] = blocks
        if thread_ts:
            body["thread_ts"] = thread_ts
        return self.call("chat.postMessage", body, bucket=bucket)

    def call(self, method: str, body: Json, bucket: TokenBucket | None = None) -> Json:
        for attempt in range(1, self.settings.retries + 2):
            try:
                response = self._http.post(method, json=body)
            except httpx.TransportError as exc:
                record_request("slack", "error")
                raise SlackUnavailable(
                    f"Slack did not answer {method}: {type(exc).__name__}"
                ) from None
            record_request("slack", response.status_code)
            if response.status_code == 429 or response.status_code >= 500:
                if attempt > self.settings.retries:
                    break
                after = parse_retry_after(response.headers.get("Retry-After"))
                delay = retry_delay(
                    attempt, backoff=1.0, retry_after=after, cap=self.settings.max_retry_after
                )
                if bucket is not None:
                    bucket.pause(delay)
                    bucket.acquire()
                else:
                    self._sleep(delay)
                continue
            answer: Json = response.json()
            if not answer.get("ok"):
                code = str(answer.get("error"))
                channel = f" to {body['channel']}" if "channel" in body else ""
                raise SlackError(f"Slack refused {method}{channel}: {code}", hint=ADVICE.get(code))
            return answer
        raise SlackUnavailable(
            f"Slack kept answering {response.status_code} to {method}", hint="try again later"
        )
