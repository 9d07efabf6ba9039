"""`tickets sync` against the fake Jira Cloud: create, no duplicates under search lag, update,
resolve, reopen, self-healing, dry-run, and errors explained."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.audit.builder import Site

from marketloop.audit.model import Issue, Severity, Ticket
from marketloop.config import Settings
from marketloop.errors import IntegrationError
from marketloop.fakes.jira import JiraFake
from marketloop.fakes.server import LocalServer
from marketloop.integrations.jira_issue import PROPERTY, description, urls_csv
from marketloop.integrations.tickets_run import sync_tickets

HOSTILE = '=HYPERLINK("http://evil") <script>"\'&[/b]'
SLOW = {"page": {"url": "/pricing", "response_time_ms": 1500.0}}
SLOW_TWO = {"page": {"url": "/blog", "response_time_ms": 1800.0}}
BAD_TITLE = {"page": {"url": "/", "titles": []}}  # missing_title: critical


@pytest.fixture
def jira() -> Iterator[tuple[JiraFake, str]]:
    fake = JiraFake({"SEO": "Website SEO"}, lag=30.0)  # search sees nothing new in a test
    with LocalServer(fake.app) as server:
        yield fake, server.url


def _settings(tmp_path: Path, url: str, **jira: Any) -> Settings:
    section = {"url": url, "email": "ops@example.com", "token": "jira-api-token"} | jira
    return Settings(workspace=tmp_path / "ws", jira=section)


def _crawl(tmp_path: Path, name: str, *ops: dict[str, Any]) -> Path:
    return Site.clean().apply(ops).write(tmp_path / name)


def _issues(fake: JiraFake) -> dict[str, Any]:
    return {i.fields["summary"]: i for i in fake.store.issues.values()}


def test_first_sync_creates_one_issue_per_ticket_with_adf_csv_and_fingerprint(
    jira: tuple[JiraFake, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """... reading the audit's issue table per ticket: every issue of the crawl as an object
    (`Audit.issues`: over a gigabyte at a million pages) is never made."""
    from marketloop.audit.engine import Audit

    def every_issue(_: Audit) -> list[Issue]:
        raise AssertionError("tickets sync built every issue as an object")

    monkeypatch.setattr(Audit, "issues", property(every_issue))
    fake, url = jira
    result = sync_tickets(
        _settings(tmp_path, url), _crawl(tmp_path, "c1", SLOW, BAD_TITLE), project="SEO"
    )
    assert result.counts["created"] == len(fake.store.issues) >= 2 and not result.errors
    issue = next(i for i in fake.store.issues.values() if "slow_response" in i.fields["labels"])
    assert issue.properties[PROPERTY]["check"] == "slow_response"
    assert issue.fields["description"]["type"] == "doc" and "marketloop" in issue.fields["labels"]
    (attachment,) = issue.attachments
    rows = list(csv.reader(io.StringIO(base64.b64decode(attachment["data"]).decode())))
    assert rows[0] == ["url", "severity", "detail", "priority"]
    assert rows[1][0] == "https://example.com/pricing"
    assert fake.requests["POST /rest/api/3/issue/bulk"] == 1
    critical = next(i for i in fake.store.issues.values() if "missing_title" in i.fields["labels"])
    assert critical.fields["priority"]["name"] in {"Highest", "High"}


def test_the_csv_neutralises_formulas_and_the_description_keeps_text_as_text() -> None:
    hostile = Issue("slow_response", Severity.warning, "https://e.com/a", HOSTILE, None, None, 1.0)
    rows = list(csv.reader(io.StringIO(urls_csv([hostile]).decode())))
    assert rows[1][2] == "'" + HOSTILE
    ticket = Ticket("slow_response", Severity.warning, HOSTILE, "fix", 1, 1.0, (hostile,))
    adf = description(ticket, [hostile], "e.com")
    texts = [n["text"] for n in _walk(adf) if n.get("type") == "text"]
    assert HOSTILE in texts[1]  # ADF is JSON: the text stays literal, Jira renders it as text
    javascript = Issue("x", Severity.warning, "javascript:alert(1)", "d", None, None, 1.0)
    link = _walk(description(ticket, [javascript], "e.com"))
    assert not any(m.get("type") == "link" for n in link for m in n.get("marks", []))


def _walk(node: Any) -> list[dict[str, Any]]:
    found = [node] if isinstance(node, dict) else []
    children = node.get("content", []) if isinstance(node, dict) else []
    for child in children:
        found.extend(_walk(child))
    return found


def test_running_twice_quickly_creates_nothing_twice_despite_search_lag(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    fake, url = jira
    settings, crawl = _settings(tmp_path, url), _crawl(tmp_path, "c1", SLOW, BAD_TITLE)
    first = sync_tickets(settings, crawl, project="SEO")
    second = sync_tickets(settings, crawl, project="SEO")
    assert second.counts["created"] == 0 and second.counts["unchanged"] == first.counts["created"]
    assert len(fake.store.issues) == first.counts["created"]


def test_a_lost_mapping_heals_from_search_instead_of_duplicating(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    fake, url = jira
    crawl = _crawl(tmp_path, "c1", SLOW)
    sync_tickets(_settings(tmp_path / "a", url), crawl, project="SEO")
    fake.store.lag = 0.0  # the index has caught up; a fresh app database knows nothing
    again = sync_tickets(_settings(tmp_path / "b", url), crawl, project="SEO")
    assert again.counts["created"] == 0 and len(fake.store.issues) == 1


def test_later_crawls_update_comment_resolve_and_reopen(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    fake, url = jira
    settings = _settings(tmp_path, url, material_change=0.2)
    sync_tickets(settings, _crawl(tmp_path, "c1", SLOW), project="SEO")
    (issue,) = fake.store.issues.values()
    grown = sync_tickets(settings, _crawl(tmp_path, "c2", SLOW, SLOW_TWO), project="SEO")
    assert grown.counts["updated"] == 1 and len(issue.comments) == 1
    assert len(issue.attachments) == 1 and "2 URLs" in issue.fields["summary"]
    fixed = sync_tickets(settings, _crawl(tmp_path, "c3"), project="SEO")
    assert fixed.counts["resolved"] == 1 and issue.status() == "Done"
    back = sync_tickets(settings, _crawl(tmp_path, "c4", SLOW), project="SEO")
    assert back.counts["reopened"] == 1 and issue.status() == "To Do"
    assert len(fake.store.issues) == 1


def test_dry_run_changes_nothing_and_min_severity_filters(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    fake, url = jira
    crawl = _crawl(tmp_path, "c1", SLOW, BAD_TITLE)
    dry = sync_tickets(_settings(tmp_path, url), crawl, project="SEO", dry_run=True)
    assert dry.counts["created"] >= 2 and fake.store.issues == {}
    few = sync_tickets(
        _settings(tmp_path, url), crawl, project="SEO", min_severity=Severity.critical
    )
    assert few.counts["created"] == len(fake.store.issues) < dry.counts["created"]


def test_an_issue_deleted_in_jira_is_created_again(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    fake, url = jira
    settings = _settings(tmp_path, url)
    sync_tickets(settings, _crawl(tmp_path, "c1", SLOW), project="SEO")
    fake.store.issues.clear()
    healed = sync_tickets(settings, _crawl(tmp_path, "c2", SLOW, SLOW_TWO), project="SEO")
    assert len(fake.store.issues) == 1 and healed.counts["updated"] == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"token": "wrong"}, "401"),
        ({"project": "NOPE"}, "No project could be found with key 'NOPE'"),
    ],
)
def test_errors_are_one_line_and_say_what_to_check(
    jira: tuple[JiraFake, str], tmp_path: Path, change: dict[str, str], words: str
) -> None:
    _fake, url = jira
    project = change.pop("project", "SEO")
    with pytest.raises(IntegrationError) as caught:
        sync_tickets(
            _settings(tmp_path, url, **change), _crawl(tmp_path, "c1", SLOW), project=project
        )
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.hint


def test_429_is_waited_out(jira: tuple[JiraFake, str], tmp_path: Path) -> None:
    fake, url = jira
    fake.fail_next(429, retry_after=1)
    result = sync_tickets(_settings(tmp_path, url), _crawl(tmp_path, "c1", SLOW), project="SEO")
    assert result.counts["created"] == 1


def test_the_cli_prints_json_and_stops_on_a_bad_token(
    jira: tuple[JiraFake, str], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from marketloop.cli import app

    fake, url = jira
    crawl = _crawl(tmp_path, "c1", SLOW)
    env = {
        "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
        "MARKETLOOP_JIRA_URL": url,
        "MARKETLOOP_JIRA_EMAIL": "ops@example.com",
        "MARKETLOOP_JIRA_TOKEN": "jira-api-token",
    }
    args = ["tickets", "sync", "--to", "jira", "--project", "SEO", "--crawl", str(crawl)]
    dry = CliRunner().invoke(app, [*args, "--dry-run", "--format", "json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["create"] == ["slow_response"] and fake.store.issues == {}
    done = CliRunner().invoke(app, args, env=env)
    assert done.exit_code == 0 and "created" in done.stdout and len(fake.store.issues) == 1
    bad = CliRunner().invoke(app, args, env=env | {"MARKETLOOP_JIRA_TOKEN": "nope"})
    # CliRunner without the edge (cli.main): the error itself, which main prints in one line
    assert bad.exit_code == 1 and isinstance(bad.exception, IntegrationError)
    assert "401" in str(bad.exception) and bad.exception.exit_code == 3
