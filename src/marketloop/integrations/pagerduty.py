"""PagerDuty Events API v2 (httpx): trigger with a stable `dedup_key`, acknowledge, resolve.

The dedup key is the caller's (per loop step or per escalation), so sending the same trigger
twice opens one incident: nothing pages twice for one condition, and a resend after a timeout is
harmless. A 429, a 5xx or no answer is retried with backoff (pacing.Paced; the Events API sends
no Retry-After); a 400 is one line naming PagerDuty's reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import Field, SecretStr

from marketloop.errors import IntegrationError, TransientError
from marketloop.integrations.pacing import Paced
from marketloop.section import Section

Json = dict[str, Any]
#: our severities -> PagerDuty's
SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "notice": "info"}


class PagerDutySettings(Section):
    routing_key: SecretStr | None = Field(
        None, description="Events API v2 integration key (MARKETLOOP_PAGERDUTY_ROUTING_KEY)"
    )
    base_url: str = Field("https://events.pagerduty.com", description="a fake in tests")
    retries: int = Field(3, ge=0, le=10, description="retries of 429 and 5xx")
    timeout: float = Field(15.0, gt=0, description="seconds for one request")


class PagerDutyError(IntegrationError):
    pass


class PagerDutyUnavailable(TransientError, PagerDutyError):
    pass


class PagerDutyClient:
    def __init__(
        self,
        settings: PagerDutySettings,
        routing_key: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.routing_key = routing_key
        self._http = httpx.Client(base_url=settings.base_url.rstrip("/"), timeout=settings.timeout)
        self._paced = Paced(
            "pagerduty", self._http, retries=settings.retries, max_retry_after=30.0, sleep=sleep
        )

    def close(self) -> None:
        self._http.close()

    def trigger(
        self, dedup_key: str, summary: str, source: str, severity: str, **details: Any
    ) -> str:
        payload: Json = {
            "summary": summary[:1024],
            "source": source,
            "severity": SEVERITY.get(severity, "error"),
        }
        if details:
            payload["custom_details"] = details
        return self._send({"event_action": "trigger", "dedup_key": dedup_key, "payload": payload})

    def acknowledge(self, dedup_key: str) -> str:
        return self._send({"event_action": "acknowledge", "dedup_key": dedup_key})

    def resolve(self, dedup_key: str) -> str:
        return self._send({"event_action": "resolve", "dedup_key": dedup_key})

    def _send(self, event: Json) -> str:
        body = {"routing_key": self.routing_key, **event}
        try:  # a resent event is harmless: PagerDuty deduplicates by dedup_key
            response = self._paced.send("POST", "/v2/enqueue", json=body)
        except httpx.TransportError as exc:
            raise PagerDutyUnavailable(f"PagerDuty did not answer: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PagerDutyUnavailable(f"PagerDuty kept answering {response.status_code}")
        answer: Json = response.json()
        if response.status_code != 202:
            reasons = "; ".join(answer.get("errors") or [answer.get("message", "")])
            raise PagerDutyError(
                f"PagerDuty refused the {event['event_action']} event: {reasons}",
                hint="check MARKETLOOP_PAGERDUTY_ROUTING_KEY (an Events API v2 key)",
            )
        return str(answer["dedup_key"])
