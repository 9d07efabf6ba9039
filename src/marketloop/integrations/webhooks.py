"""Outbound webhooks: loop events POSTed as signed JSON to the configured URLs.

    from marketloop.integrations.webhooks import Event, send_event
    send_event(Event(type="escalation", data={"task": "T-12", "owner": "ada"}), settings)

The body is `{"type", "id", "occurred_at", "data"}`, plain JSON, so a Zapier Catch Hook takes
it as is. Each request is signed after the Standard Webhooks specification (signing.py):
`webhook-id: <event id>` (stable across retries, as is `Idempotency-Key`, so receivers drop
repeats), `webhook-timestamp` and `webhook-signature: v1,<base64>` signed afresh per attempt,
plus `X-Marketloop-Event: <type>` (and the old `X-Marketloop-Signature` while
`[webhooks] legacy_signature` is on). 429, 408, 5xx and connection errors are retried with backoff,
`Retry-After` honoured; other answers are final. Redirects are not followed (a signed payload
goes only where it was configured to). Every delivery is recorded in the app database with the
URL redacted; an event already delivered to a URL is not sent there again unless forced.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
from pydantic import BaseModel, Field

from marketloop import __version__
from marketloop.config import Settings, app_db_url, require_secret
from marketloop.content.brief import Brief
from marketloop.integrations import records
from marketloop.integrations.brief_page import marketloop_id
from marketloop.integrations.config import check_webhook_url
from marketloop.integrations.errors import WebhookError
from marketloop.integrations.pacing import RETRYABLE_STATUS, retry_delay
from marketloop.integrations.redact import quiet_http_logs, redact_url, url_key
from marketloop.integrations.signing import LEGACY_HEADER, legacy_sign, sign_headers, signing_key
from marketloop.observe.logging import get_logger
from marketloop.observe.metrics import httpx_hooks
from marketloop.retry import parse_retry_after

log = get_logger(__name__)


class Event(BaseModel):
    type: str = Field(min_length=1, max_length=100, description="e.g. brief.created, escalation")
    id: str = Field(default_factory=lambda: f"evt_{uuid.uuid4().hex}", max_length=100)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any] = Field(default_factory=dict)

    def body(self) -> bytes:
        return self.model_dump_json().encode()


def brief_event(brief: Brief) -> Event:
    """`brief.created` for `brief`; the id depends on the brief's content only, so sending the
    same brief again is recognised (here and by receivers) as the same event."""
    payload = brief.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    data = {"marketloop_id": marketloop_id(brief), "brief": payload}
    return Event(type="brief.created", id=f"evt_{digest}", data=data)


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    url: str  # redacted
    delivered: bool
    status: int | None = None  # the last HTTP status, None when no answer came
    attempts: int = 0
    latency_ms: int = 0  # from the first attempt to the last answer, waits included
    error: str | None = None
    skipped: bool = False  # delivered before, not sent again
    retry_after: float | None = None  # the last answer's Retry-After, seconds (not recorded)


class WebhookSender:
    """Sends events with one pooled HTTP client; safe to use from several threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        quiet_http_logs()
        self.hooks = settings.webhooks
        self.secret = require_secret(self.hooks.secret, section="webhooks", field="secret")
        self.key = signing_key(self.secret)
        self.db_url = app_db_url(settings)
        self._sleep = sleep
        user_agent = f"marketloop/{__version__}"
        self._http = httpx.Client(
            timeout=self.hooks.timeout,
            transport=transport,
            headers={"User-Agent": user_agent},
            event_hooks=httpx_hooks("webhook"),
        )

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.close()

    def urls(self, urls: Sequence[str] | None = None) -> list[str]:
        chosen = list(urls if urls is not None else self.hooks.urls)
        if not chosen:
            raise WebhookError(
                "no webhook URL to send to",
                hint="set MARKETLOOP_WEBHOOKS_URLS='[\"https://...\"]' or `urls = [...]` "
                "under [webhooks], or pass --url",
            )
        for url in chosen:
            try:
                check_webhook_url(url, self.hooks)
            except ValueError as exc:
                raise WebhookError(
                    str(exc), hint="fix the URL, or set webhooks.allow_http"
                ) from None
        return chosen

    def send(
        self, event: Event, urls: Sequence[str] | None = None, *, force: bool = False
    ) -> list[Delivery]:
        return [self.deliver(event, url, force=force) for url in self.urls(urls)]

    def deliver(self, event: Event, url: str, *, force: bool = False) -> Delivery:
        """POST `event` to `url` until it is accepted, refused or out of retries; record it.

        Skipped when the record says it was delivered there before, unless `force`.
        """
        if not force and records.delivered_before(self.db_url, event.id, url_key(url)):
            return Delivery(event.id, event.type, redact_url(url), delivered=True, skipped=True)
        delivery = self.post(event, url)
        self.record([(delivery, url_key(url))])
        return delivery

    def post(self, event: Event, url: str) -> Delivery:
        """Deliver without recording (see `record`); batches record many at once."""
        return self._post(event, url, redact_url(url))

    def record(self, deliveries: Sequence[tuple[Delivery, str]]) -> None:
        """Record (delivery, url_key) pairs in one transaction, and log them."""
        if not deliveries:
            return
        rows = [_row(delivery, key) for delivery, key in deliveries]
        records.save_many(self.db_url, records.WebhookDelivery, rows)
        for delivery, _ in deliveries:
            level = log.info if delivery.delivered else log.warning
            level(
                "webhook.delivery",
                event_id=delivery.event_id,
                url=delivery.url,
                status=delivery.status,
                attempts=delivery.attempts,
            )

    def _post(self, event: Event, url: str, shown: str) -> Delivery:
        body = event.body()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": event.id,
            "X-Marketloop-Event": event.type,
        }
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            headers.update(sign_headers(self.key, event.id, body))
            if self.hooks.legacy_signature:
                headers[LEGACY_HEADER] = legacy_sign(body, self.secret)
            status, error, retry_after = self._attempt(url, shown, body, headers)
            elapsed = int((time.monotonic() - started) * 1000)
            retryable = status is None or status in RETRYABLE_STATUS
            if error is None or not retryable or attempt > self.hooks.retries:
                return Delivery(
                    event.id,
                    event.type,
                    shown,
                    error is None,
                    status,
                    attempt,
                    elapsed,
                    error,
                    retry_after=retry_after,
                )
            self._sleep(
                retry_delay(
                    attempt,
                    backoff=self.hooks.backoff,
                    retry_after=retry_after,
                    cap=self.hooks.max_retry_after,
                )
            )

    def _attempt(
        self, url: str, shown: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None, float | None]:
        """(status, error or None on success, Retry-After seconds) of one POST."""
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            return None, f"{type(exc).__name__}: {str(exc).replace(url, shown)}"[:300], None
        if response.is_success:
            return response.status_code, None, None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return (
            response.status_code,
            f"HTTP {response.status_code}: {response.text[:200]}",
            retry_after,
        )


def send_event(
    event: Event, settings: Settings, *, urls: Sequence[str] | None = None, force: bool = False
) -> list[Delivery]:
    """Send one event to the configured webhook URLs (or `urls`); one Delivery per URL.

    The API other stages call (the delivery plan's escalations, the runner's loop events).
    Raises ConfigError without a secret and WebhookError without a URL; a failed delivery is
    not an exception but a Delivery with `delivered=False`, already recorded.
    """
    with WebhookSender(settings) as sender:
        return sender.send(event, urls, force=force)


def _row(delivery: Delivery, key: str) -> dict[str, Any]:
    row = {name: getattr(delivery, name) for name in _RECORDED}
    return row | {"url_key": key}


_RECORDED = (
    "event_id",
    "event_type",
    "url",
    "delivered",
    "status",
    "attempts",
    "latency_ms",
    "error",
)
