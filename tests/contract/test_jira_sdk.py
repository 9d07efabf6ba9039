"""The fake Jira Cloud through the `jira` package: what the ticket sync relies on."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import httpx
import jira
import pytest
from tests.contract.contract import Served
from tests.contract.services import jira_sdk

FIELDS = {"project": {"key": "SEO"}, "issuetype": {"name": "Task"}, "labels": ["marketloop"]}


@pytest.fixture
def sdk(jira_fake: Served) -> Iterator[jira.JIRA]:
    client = jira_sdk(jira_fake, jira_fake.token)
    client.deploymentType = client.server_info()["deploymentType"]  # as get_server_info=True
    yield client
    client.close()


def test_bulk_create_is_limited_to_50(jira_fake: Served, sdk: jira.JIRA) -> None:
    made = sdk.create_issues([FIELDS | {"summary": f"fix {n}"} for n in range(49)] + [FIELDS])
    assert len({m["issue"].key for m in made[:49]}) == 49
    assert made[49]["status"] == "Error" and "summary" in made[49]["error"]
    updates = [{"fields": FIELDS | {"summary": f"fix {n}"}} for n in range(51)]
    auth = ("ops@example.com", "jira-api-token")
    url = f"{jira_fake.url}/rest/api/3/issue/bulk"
    answer = httpx.post(url, auth=auth, json={"issueUpdates": updates})
    assert answer.status_code == 400 and "limited to 50" in answer.json()["errorMessages"][0]


def test_search_lags_behind_creation_and_pages_with_a_token(
    jira_fake: Served, sdk: jira.JIRA
) -> None:
    jira_fake.fake.store.lag = 0.3
    sdk.create_issues([FIELDS | {"summary": f"fix {n}"} for n in range(7)])
    assert list(sdk.enhanced_search_issues("project = SEO AND labels = marketloop")) == []
    time.sleep(0.35)
    first = sdk.enhanced_search_issues("project = SEO ORDER BY key", maxResults=5)
    assert len(first) == 5 and first.nextPageToken
    rest = sdk.enhanced_search_issues(
        "project = SEO ORDER BY key", maxResults=5, nextPageToken=first.nextPageToken
    )
    assert [i.key for i in [*first, *rest]] == [f"SEO-{n}" for n in range(1, 8)]


def test_transitions_by_name_comments_attachments_and_properties(sdk: jira.JIRA) -> None:
    issue = sdk.create_issue(fields=FIELDS | {"summary": "Broken links <script>"})
    sdk.transition_issue(issue, "Done")
    assert sdk.issue(issue.key).fields.status.name == "Done"
    doc = {"type": "doc", "version": 1, "content": []}
    sdk.add_comment(issue.key, doc)
    assert len(sdk.comments(issue.key)) == 1
    assert sdk.add_attachment(issue, io.BytesIO(b"url\n'=HYPERLINK(x)\n"), "urls.csv").size == 19
    sdk.add_issue_property(issue.key, "marketloop.ticket", {"fingerprint": "abc"})
    assert sdk.issue_property(issue.key, "marketloop.ticket").value.fingerprint == "abc"


def test_errors_are_jiras_shape(jira_fake: Served, sdk: jira.JIRA) -> None:
    with pytest.raises(jira.JIRAError) as caught:
        sdk.issue("SEO-999")
    assert caught.value.status_code == 404 and "Issue does not exist" in caught.value.text
    with pytest.raises(jira.JIRAError) as caught:
        sdk.enhanced_search_issues("assignee = currentUser()")
    assert caught.value.status_code == 400 and "Error in the JQL Query" in caught.value.text
    auth = ("ops@example.com", "jira-api-token")
    old = httpx.get(f"{jira_fake.url}/rest/api/3/search", auth=auth, params={"jql": "x"})
    assert old.status_code == 410 and "search/jql" in old.json()["errorMessages"][0]
    jira_fake.fake.read_only.add("ops@example.com")
    with pytest.raises(jira.JIRAError) as caught:
        sdk.create_issue(fields=FIELDS | {"summary": "x"})
    assert caught.value.status_code == 403
