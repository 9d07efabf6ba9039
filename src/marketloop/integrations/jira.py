"""A thin Jira Cloud REST v3 client (httpx, basic auth with an email and an API token).

Every request waits for a token bucket ([jira] rate, burst). A 429 is waited out for its
`Retry-After` (capped) by every request of the client, and retried; 5xx and timeouts are
retried for reads and for writes Jira cannot have applied twice harmfully (edits, properties,
transitions). Bulk create is never retried after a timeout: the sync re-reads its mapping and
Jira instead. 401, 403 and 404 become one-line errors saying what to check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx

from marketloop import __version__
from marketloop.errors import IntegrationError, TransientError
from marketloop.integrations.jira_config import JiraSettings
from marketloop.integrations.outcomes import record_request
from marketloop.integrations.pacing import TokenBucket, retry_delay
from marketloop.integrations.redact import quiet_http_logs
from marketloop.retry import parse_retry_after

API = "/rest/api/3"
SEARCH_PAGE = 100
Json = dict[str, Any]


class JiraError(IntegrationError):
    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message, hint=hint)
        self.status = status


class JiraUnavailable(TransientError, JiraError):
    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        JiraError.__init__(self, message, hint=hint, status=status)
        self.retry_after: float | None = None


HINTS = {
    401: "check MARKETLOOP_JIRA_EMAIL and MARKETLOOP_JIRA_TOKEN (an API token from "
    "id.atlassian.com/manage-profile/security/api-tokens, for that email)",
    403: "the account lacks a permission on the project (Browse, Create, Edit, Transition, "
    "Add comments, Create attachments): ask a Jira admin",
    404: "check jira.url and jira.project (the account must be able to browse the project)",
}


class JiraClient:
    def __init__(
        self,
        settings: JiraSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from marketloop.config import require_secret

        quiet_http_logs()
        if not settings.url or not settings.email:
            raise JiraError(
                "jira.url and jira.email are not set",
                hint="set [jira] url and email, or MARKETLOOP_JIRA_URL and MARKETLOOP_JIRA_EMAIL",
            )
        token = require_secret(settings.token, section="jira", field="token")
        self.settings = settings
        self._sleep = sleep
        self._bucket = TokenBucket(settings.rate, settings.burst, sleep=sleep)
        self._http = httpx.Client(
            base_url=settings.url + API,
            auth=(settings.email, token),
            headers={"User-Agent": f"marketloop/{__version__}", "Accept": "application/json"},
            timeout=settings.timeout,
            transport=transport,
        )
        self.requests = 0

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- calls ---------------------------------------------------------------------------------

    def myself(self) -> Json:
        answer: Json = self.call("GET", "/myself")
        return answer

    def project(self, key: str) -> Json:
        answer: Json = self.call("GET", f"/project/{key}")
        return answer

    def bulk_create(self, updates: list[Json]) -> Json:
        """At most 50 `{"fields", "properties"}`; Jira's `{"issues", "errors"}` answer."""
        answer: Json = self.call(
            "POST", "/issue/bulk", {"issueUpdates": updates}, safe=False, ok={400}
        )
        return answer

    def edit(self, key: str, fields: Json) -> None:
        self.call("PUT", f"/issue/{key}", {"fields": fields})

    def set_property(self, key: str, name: str, value: Json) -> None:
        self.call("PUT", f"/issue/{key}/properties/{name}", value)

    def transition(self, key: str, name: str) -> None:
        """Move the issue through the transition called `name` (looked up, never assumed)."""
        listed = self.call("GET", f"/issue/{key}/transitions")["transitions"]
        found = [t for t in listed if t["name"].lower() == name.lower()]
        if not found:
            names = ", ".join(t["name"] for t in listed) or "none"
            raise JiraError(
                f"issue {key} has no transition named {name!r} (it has: {names})",
                hint="set jira.done_transition / jira.reopen_transition to one of those",
            )
        self.call("POST", f"/issue/{key}/transitions", {"transition": {"id": found[0]["id"]}})

    def comment(self, key: str, body: Json) -> None:
        self.call("POST", f"/issue/{key}/comment", {"body": body}, safe=False)

    def attach(self, key: str, filename: str, data: bytes) -> str:
        files = {"file": (filename, data, "text/csv")}
        answer = self.call("POST", f"/issue/{key}/attachments", files=files, safe=False)
        return str(answer[0]["id"]) if isinstance(answer, list) else ""

    def delete_attachment(self, attachment_id: str) -> None:
        self.call("DELETE", f"/attachment/{attachment_id}", ok={404})

    def search(self, jql: str, fields: list[str], properties: list[str]) -> Iterator[Json]:
        """Every issue `jql` finds, paged with nextPageToken (the index may lag behind)."""
        token: str | None = None
        while True:
            body: Json = {"jql": jql, "fields": fields, "properties": properties}
            body["maxResults"] = SEARCH_PAGE
            if token:
                body["nextPageToken"] = token
            answer = self.call("POST", "/search/jql", body)
            yield from answer.get("issues", [])
            token = answer.get("nextPageToken")
            if answer.get("isLast", True) or not token:
                return

    # --- transport -----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        files: Any = None,
        safe: bool = True,
        ok: frozenset[int] | set[int] = frozenset(),
    ) -> Any:
        attempt = 0
        while True:
            self._bucket.acquire()
            self.requests += 1
            response, failure = self._attempt(method, path, body, files)
            if response is not None and (response.is_success or response.status_code in ok):
                return response.json() if response.content else {}
            retryable = (
                failure is None
                and response is not None
                and (response.status_code == 429 or (safe and response.status_code >= 500))
            )
            retryable = retryable or (failure is not None and safe)
            attempt += 1
            if not retryable or attempt > self.settings.retries:
                raise failure or describe(response, method, path)  # type: ignore[arg-type]
            self._wait(attempt, response)

    def _attempt(
        self, method: str, path: str, body: Any, files: Any
    ) -> tuple[httpx.Response | None, JiraError | None]:
        headers = {"X-Atlassian-Token": "no-check"} if files else None
        try:
            response = self._http.request(
                method, path, json=body if files is None else None, files=files, headers=headers
            )
        except httpx.TransportError as exc:
            record_request("jira", "error")
            return None, JiraUnavailable(
                f"Jira did not answer {method} {path}: {type(exc).__name__}",
                hint=f"check the network and jira.url ({self.settings.url})",
            )
        record_request("jira", response.status_code)
        return response, None

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        after = parse_retry_after(response.headers.get("Retry-After")) if response else None
        delay = retry_delay(
            attempt, backoff=1.0, retry_after=after, cap=self.settings.max_retry_after
        )
        if response is not None and response.status_code == 429:
            self._bucket.pause(delay)  # every request of this client waits it out
        else:
            self._sleep(delay)


def describe(response: httpx.Response, method: str, path: str) -> JiraError:
    """One line from Jira's `{"errorMessages": [...], "errors": {...}}`, with what to check."""
    try:
        body = response.json()
        parts = [
            *body.get("errorMessages", []),
            *(f"{k}: {v}" for k, v in body.get("errors", {}).items()),
        ]
    except (ValueError, AttributeError):
        parts = []
    text = "; ".join(str(p) for p in parts)[:300] or response.reason_phrase
    status = response.status_code
    message = f"Jira answered {status} to {method} {path}: {text}"
    kind = JiraUnavailable if status == 429 or status >= 500 else JiraError
    return kind(message, hint=HINTS.get(status), status=status)
