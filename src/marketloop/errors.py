"""The one error hierarchy of marketloop.

Every error the library raises on purpose derives from `MarketloopError`. Stage errors sit under
it, and each error says whether retrying can help: `TransientError` (a rate limit, a timeout, a
5xx) may succeed later; everything else is terminal until a person changes something.

    MarketloopError
    ├── UsageError             an argument the command cannot take (exit 2, like click's)
    ├── ConfigError            settings, secrets, files the user points at
    ├── WorkspaceError         the workspace folder and what it holds
    ├── CrawlError             fetching and parsing a site
    │   └── CrawlDatasetError  a crawl dataset that is missing, unfinished or malformed
    ├── AuditError             checks over a crawl dataset
    ├── IngestError            sources into the warehouse
    │   └── CredentialError    a token or key the source rejected (401/403)
    ├── QualityError           dbt runs and the data health report
    ├── KeywordsError          keyword files and clustering
    ├── ContentError           briefs, drafts, LLM calls and evals
    ├── IntegrationError       Notion, webhooks, Slack, PagerDuty, Jira
    ├── PlanError              delivery plans and their event log
    ├── RunnerError            scheduled runs and gates
    └── ApiError               the HTTP API
    TransientError             mixed into any of the above when a retry may help

Messages carry the ids involved (url, crawl id, run id) and say what to do next. The edges (CLI,
API) turn these errors into a one-line message and an exit code or an HTTP problem document.
"""

from __future__ import annotations


def first_line(error: object, limit: int | None = None) -> str:
    """The first line of an error's text (at most `limit` characters), or its type's name when
    it has no text: how a library's multi-line error is quoted in one of ours."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__


class MarketloopError(Exception):
    """Root of every error marketloop raises on purpose."""

    #: exit status the CLI uses for this error
    exit_code: int = 3
    #: HTTP status the API uses for this error
    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed without a change by a person."""
        return isinstance(self, TransientError)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class TransientError(MarketloopError):
    """Mixed into a stage error when retrying may help (rate limit, timeout, 5xx)."""

    http_status = 503

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class UsageError(MarketloopError):
    exit_code = 2
    http_status = 400


class ConfigError(MarketloopError):
    exit_code = 2
    http_status = 400


class WorkspaceError(MarketloopError):
    http_status = 404


class CrawlError(MarketloopError):
    pass


class CrawlDatasetError(CrawlError):
    http_status = 404


class AuditError(MarketloopError):
    pass


class IngestError(MarketloopError):
    pass


class CredentialError(IngestError):
    http_status = 401


class QualityError(MarketloopError):
    pass


class KeywordsError(MarketloopError):
    http_status = 422


class ContentError(MarketloopError):
    pass


class IntegrationError(MarketloopError):
    pass


class PlanError(MarketloopError):
    http_status = 422


class RunnerError(MarketloopError):
    pass


class ApiError(MarketloopError):
    http_status = 400
