"""Settings of the Jira Cloud ticket sink: `[jira]` in marketloop.toml.

    [jira]
    url = "https://acme.atlassian.net"       # or MARKETLOOP_JIRA_URL
    email = "seo-bot@acme.com"               # or MARKETLOOP_JIRA_EMAIL
    project = "SEO"
    issue_type = "Task"
    labels = ["seo"]
    [jira.assignees]                          # check id or prefix -> Jira accountId
    broken_link = "5b10ac8d82e05b22cc7d4ef5"

The API token is a secret: MARKETLOOP_JIRA_TOKEN (basic auth with the email).
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from marketloop.integrations.config import https_or_loopback
from marketloop.section import Section

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")


class JiraSettings(Section):
    url: str | None = Field(None, description="site root, https://YOUR-SITE.atlassian.net")
    email: str | None = Field(None, description="the account the API token belongs to")
    token: SecretStr | None = Field(None, description="API token (MARKETLOOP_JIRA_TOKEN)")
    project: str | None = Field(None, description="project key tickets are created in")
    issue_type: str = Field("Task", description="issue type of new tickets")
    labels: list[str] = Field(default_factory=list, description="labels added to every ticket")
    assignees: dict[str, str] = Field(
        default_factory=dict, description="check id (or its prefix) -> assignee accountId"
    )
    priorities: dict[str, str] = Field(
        default_factory=lambda: {
            "top": "Highest",
            "critical": "High",
            "warning": "Medium",
            "notice": "Low",
        },
        description="Jira priority by severity; `top` for the tickets of highest impact",
    )
    top: int = Field(3, ge=0, description="how many tickets of highest impact get `top`")
    done_transition: str = Field("Done", description="transition name that resolves a ticket")
    reopen_transition: str = Field("To Do", description="transition name that reopens one")
    material_change: float = Field(
        0.2, ge=0, description="relative change in URL count that earns a comment"
    )
    rate: float = Field(10.0, gt=0, description="requests per second sent to Jira")
    burst: int = Field(10, ge=1, description="requests sent back to back before pacing")
    retries: int = Field(5, ge=0, le=20, description="retries of 429, 5xx and timeouts")
    max_retry_after: float = Field(120.0, gt=0, description="longest Retry-After honoured")
    timeout: float = Field(30.0, gt=0, description="seconds for one request")

    @field_validator("url")
    @classmethod
    def _safe_url(cls, url: str | None) -> str | None:
        return None if url is None else https_or_loopback(url, "jira.url").rstrip("/")

    @field_validator("priorities")
    @classmethod
    def _known_priorities(cls, names: dict[str, str]) -> dict[str, str]:
        bad = sorted(v for v in names.values() if v not in PRIORITIES)
        if bad:
            raise ValueError(
                f"jira.priorities: unknown {', '.join(bad)}; use {', '.join(PRIORITIES)}"
            )
        return names
