"""A thin Jira Cloud REST v3 client (httpx, basic auth with an email and an API token).

Every request waits for a token bucket ([jira] rate, burst) and is counted (pacing.Paced). A
429 is waited out for its `Retry-After` (capped) by every request of the client, and retried;
5xx and timeouts are retried for reads and for writes Jira cannot have applied twice
harmfully (edits, properties, transitions). Bulk create is never retried after a timeout: the
sync re-reads its mapping and Jira instead. 401, 403 and 404 become one-line errors saying what
to check.
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
from marketloop.integrations.pacing import Paced, TokenBucket
from marketloop.integrations.redact import quiet_http_logs

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
        self._http = httpx.Client(
            base_url=settings.url + API,
            auth=(settings.email, token),
            headers={"User-Agent": f"marketloop/{__version__}", "Accept": "application/json"},
            timeout=settings.timeout,
            transport=transport,
        )
        self._paced = Paced(
            "jira", self._http, retries=settings.retries,
            max_retry_after=settings.max_retry_after,
            bucket=TokenBucket(settings.rate, settings.burst, sleep=sleep), sleep=sleep,
        )  # fmt: skip

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
        """`safe`: repeating the request is harmless, so 5xx and timeouts are retried too."""
        headers = {"X-Atlassian-Token": "no-check"} if files else None
        try:
            response = self._paced.send(
                method, path, json=body if files is None else None, files=files,
                headers=headers, retry_5xx=safe, retry_failures=safe,
            )  # fmt: skip
        except httpx.TransportError as exc:
            raise JiraUnavailable(
                f"Jira did not answer {method} {path}: {type(exc).__name__}",
                hint=f"check the network and jira.url ({self.settings.url})",
            ) from None
        if response.is_success or response.status_code in ok:
            return response.json() if response.content else {}
        raise describe(response, method, path)

    @property
    def requests(self) -> int:
        """Requests sent, retries included."""
        return self._paced.requests


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
