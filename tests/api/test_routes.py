"""The read and write resources on a seeded workspace, through the real app."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, HOSTILE_TITLE, bearer, seed_evals

from marketloop.api.routes import audit as audit_routes
from marketloop.audit.model import Issue, Severity
from marketloop.audit.registry import REGISTRY
from marketloop.audit.store import as_issues, stored_record, write_issues
from marketloop.audit.tickets import tickets

V1 = "/api/v1"


def test_health_and_readiness_say_nothing_more(client: TestClient, seeded) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = {"app_db": "ok", "queue": "ok", "warehouse": "ok"}
    assert ready.json() == {"status": "ready", "checks": checks}


def test_crawls_list_and_summary(client: TestClient, seeded, keys) -> None:
    listed = client.get(f"{V1}/crawls", headers=bearer(keys["read"])).json()
    assert [c["id"] for c in listed["data"]] == [CRAWL_ID]
    assert listed["has_more"] is False and listed["data"][0]["audited"] is True
    summary = client.get(f"{V1}/crawls/{CRAWL_ID}", headers=bearer(keys["read"])).json()
    assert summary["status_codes"]["404"] == 1
    assert sum(summary["issues_by_severity"].values()) > 0


def test_pages_filter_sort_and_cursor(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    url = f"{V1}/crawls/{CRAWL_ID}/pages"
    everything = client.get(url, headers=headers, params={"limit": 500}).json()["data"]
    assert len(everything) >= 6
    missing = client.get(url, headers=headers, params={"status": 404}).json()["data"]
    assert [p["url"] for p in missing] == ["https://example.com/blog/missing"]
    assert missing[0]["indexability"] == "non_200"
    indexable = client.get(url, headers=headers, params={"indexability": "indexable"}).json()
    assert all(p["indexability"] == "indexable" for p in indexable["data"])
    check = next(p["checks"][0] for p in everything if p["checks"])
    flagged = client.get(url, headers=headers, params={"check": check}).json()["data"]
    assert flagged == [p for p in everything if check in p["checks"]]
    found = client.get(url, headers=headers, params={"url_contains": "PRICING"}).json()["data"]
    assert [p["title"] for p in found] == [HOSTILE_TITLE]
    # walk the pages two at a time by a descending sort, and get every page exactly once
    seen, after = [], None
    while True:
        params = {"limit": 2, "sort": "-response_time_ms"}
        if after:
            params["starting_after"] = after
        page = client.get(url, headers=headers, params=params).json()
        seen += page["data"]
        if not page["has_more"]:
            break
        after = page["data"][-1]["url"]
    assert sorted(p["url"] for p in seen) == sorted(p["url"] for p in everything)
    assert len(seen) == len(everything)


def test_pages_csv_neutralises_formulas(client: TestClient, seeded, keys) -> None:
    response = client.get(f"{V1}/crawls/{CRAWL_ID}/pages.csv", headers=bearer(keys["read"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    titles = {r["url"]: r["title"] for r in rows}
    assert titles["https://example.com/pricing"] == "'" + HOSTILE_TITLE
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())


def test_issues_and_tickets(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    issues = client.get(f"{V1}/crawls/{CRAWL_ID}/issues", headers=headers, params={"limit": 1})
    body = issues.json()
    assert body["data"][0]["id"] == "iss_0"
    nxt = client.get(
        f"{V1}/crawls/{CRAWL_ID}/issues",
        headers=headers,
        params={"limit": 1, "starting_after": "iss_0"},
    ).json()
    assert nxt["data"][0]["id"] == "iss_1" if body["has_more"] else nxt["data"] == []
    tickets = client.get(f"{V1}/crawls/{CRAWL_ID}/tickets", headers=headers).json()["data"]
    assert tickets and all(t["examples"] for t in tickets)


def test_issue_pages_filter_and_walk_the_stored_order(
    client: TestClient, seeded, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every filter, walked a page of 2 at a time, is the stored list filtered (the ids are the
    stored positions), read a page at a time from the Arrow table, not as one object per issue."""
    folder = seeded.crawls_dir / CRAWL_ID
    hostile = '<script>x</script> "\'& [/] =HYPERLINK("x") \x07'
    stored = [
        Issue(check, severity, f"https://example.com/{n}?q={hostile}", hostile, None, None, 9 - n)
        for n, (check, severity) in enumerate(
            [("missing_h1", Severity.warning), ("title_too_long", Severity.notice),
             ("missing_h1", Severity.warning), ("server_error", Severity.critical),
             ("title_too_long", Severity.notice), ("missing_h1", Severity.warning),
             ("title_too_long", Severity.warning)]
        )
    ]  # fmt: skip
    record = stored_record(folder)
    assert record is not None
    write_issues(folder, stored, record)
    first, absent = stored[0], "notice"
    made: list[int] = []  # how many Issue objects each request built

    def counted(table: pa.Table) -> list[Issue]:
        made.append(table.num_rows)
        return as_issues(table)

    monkeypatch.setattr(audit_routes, "as_issues", counted)
    for params in ({}, {"severity": first.severity.value}, {"check": first.check},
                   {"severity": first.severity.value, "check": first.check},
                   {"severity": absent, "check": first.check}):  # fmt: skip
        expected = [
            (f"iss_{n}", i.check, i.url)
            for n, i in enumerate(stored)
            if i.severity.value == params.get("severity", i.severity.value)
            and i.check == params.get("check", i.check)
        ]
        seen: list[tuple[str, str, str]] = []
        after: dict[str, str] = {}
        while True:
            body = client.get(
                f"{V1}/crawls/{CRAWL_ID}/issues",
                headers=bearer(keys["read"]),
                params={**params, **after, "limit": 2},
            ).json()
            seen += [(row["id"], row["check"], row["url"]) for row in body["data"]]
            if not body["has_more"]:
                break
            after = {"starting_after": body["data"][-1]["id"]}
        assert seen == expected, params
    assert made and max(made) <= 3  # a page (limit 2, and one to know another follows)
    summary = client.get(f"{V1}/crawls/{CRAWL_ID}", headers=bearer(keys["read"])).json()
    counts = {s.value: sum(i.severity is s for i in stored) for s in {i.severity for i in stored}}
    assert summary["issues_by_severity"] == counts


def test_tickets_name_their_examples_by_stored_position(
    client: TestClient, seeded, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tickets are the audit's own (`tickets.tickets`), made in SQL from the stored table; each
    example's id is its position in the stored list, even for a repeated row, and only the
    rows of the examples' checks and URLs become objects."""
    folder = seeded.crawls_dir / CRAWL_ID
    hostile = '<script>x</script> "\'& [/] =HYPERLINK("x") \x07'
    stored = [
        Issue(check, severity, f"https://example.com/{n if n > 4 else n % 3}?q={hostile}", hostile,
              None, None,
              9 - n // 2)
        for n, (check, severity) in enumerate(
            [("missing_h1", Severity.warning), ("missing_h1", Severity.warning),
             ("server_error", Severity.critical), ("title_too_long", Severity.notice),
             ("missing_h1", Severity.warning)] + [("title_too_long", Severity.notice)] * 40
        )
    ]  # fmt: skip
    stored[3] = replace(stored[3], value=float("nan"))  # NaN is not equal to itself
    stored.insert(4, stored[3])  # the same issue twice: two rows, two ids
    record = stored_record(folder)
    assert record is not None
    write_issues(folder, stored, record)
    made: list[int] = []

    def counted(table: pa.Table) -> list[Issue]:
        made.append(table.num_rows)
        return as_issues(table)

    monkeypatch.setattr(audit_routes, "as_issues", counted)
    body = client.get(f"{V1}/crawls/{CRAWL_ID}/tickets", headers=bearer(keys["read"])).json()
    expected = tickets(stored, REGISTRY)
    assert [(t["check"], t["urls"], t["impact"]) for t in body["data"]] == [
        (t.check, t.urls, t.impact) for t in expected
    ]
    for got, want in zip(body["data"], expected, strict=True):
        ids = [e["id"] for e in got["examples"]]
        assert len(set(ids)) == len(ids)
        for example, issue in zip(got["examples"], want.examples, strict=True):
            position = int(example["id"].removeprefix("iss_"))
            assert repr(stored[position]) == repr(issue)  # repr: nan reads as nan
            assert (example["url"], example["detail"]) == (issue.url, issue.detail)
    assert sum(made) < len(stored)  # the 40 title_too_long rows are not all made objects


def test_marts_filters_and_cursor(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    url = f"{V1}/marts/page_performance"
    rows = client.get(url, headers=headers, params={"date_from": "2025-01-02"}).json()["data"]
    assert {(r["page_key"], r["date"]) for r in rows} == {
        ("example.com/", "2025-01-02"),
        ("example.com/=cmd", "2025-01-03"),
    }
    first = client.get(url, headers=headers, params={"limit": 1}).json()
    second = client.get(
        url, headers=headers, params={"limit": 1, "starting_after": first["data"][0]["id"]}
    ).json()
    assert first["has_more"] and second["data"][0]["date"] == "2025-01-02"
    by_url = client.get(url, headers=headers, params={"url_contains": "pricing"}).json()["data"]
    assert [r["page_key"] for r in by_url] == ["example.com/pricing"]
    leads = client.get(f"{V1}/marts/landing_page_leads", headers=headers).json()["data"]
    assert {r["page_key"]: r["leads"] for r in leads} == {
        "example.com/": 2,
        "example.com/pricing": 0,
    }
    content = f"{V1}/marts/content_performance"
    weeks = client.get(content, headers=headers, params={"limit": 1}).json()
    after = client.get(
        content, headers=headers, params={"starting_after": weeks["data"][0]["id"]}
    ).json()
    assert [r["week"] for r in weeks["data"] + after["data"]] == [-1, 0]
    bad = client.get(
        f"{V1}/marts/landing_page_leads", headers=headers, params={"date_from": "2025-01-01"}
    )
    assert bad.status_code == 400
    assert client.get(f"{V1}/marts/secrets", headers=headers).status_code == 422


def test_quality_report(client: TestClient, seeded, keys) -> None:
    report = client.get(f"{V1}/quality/report", headers=bearer(keys["read"]))
    assert report.json() == {"run_id": "r1", "status": "pass"}


def test_keywords_clusters_and_gaps(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    clusters = client.get(f"{V1}/keywords/clusters", headers=headers).json()["data"]
    gaps = client.get(f"{V1}/keywords/gaps", headers=headers).json()["data"]
    assert clusters and {g["id"] for g in gaps} <= {c["id"] for c in clusters}
    assert all(g["status"] in {"gap", "cannibalised"} for g in gaps)


def test_briefs_review_and_audit_log(app, client: TestClient, seeded, keys) -> None:
    listed = client.get(f"{V1}/briefs", headers=bearer(keys["read"])).json()["data"]
    slug = listed[0]["id"]
    assert listed[0]["review"] is None and listed[0]["has_draft"] is True
    review = client.post(
        f"{V1}/briefs/{slug}/review",
        headers=bearer(keys["write"]),
        json={"decision": "reject", "comment": "<b>too thin</b> [/]"},
    )
    assert review.status_code == 201 and review.json()["decision"] == "rejected"
    brief = client.get(f"{V1}/briefs/{slug}", headers=bearer(keys["read"])).json()
    assert brief["review"]["comment"] == "<b>too thin</b> [/]" and brief["draft"]
    # the same decision `marketloop tune review` records and `tune dataset` reads
    from marketloop.content.tune import reviews

    assert reviews.latest(app.state.api.engine)[slug].decision == "rejected"
    log = client.get(f"{V1}/audit-log", headers=bearer(keys["admin"])).json()["data"]
    assert log[0]["action"] == "briefs.rejected" and log[0]["actor"] == "write-key"
    assert client.get(f"{V1}/briefs/..%2Fclusters", headers=bearer(keys["read"])).status_code == 404


def test_eval_runs(client: TestClient, seeded, keys, settings) -> None:
    seed_evals(settings)
    runs = client.get(f"{V1}/evals/runs", headers=bearer(keys["read"])).json()["data"]
    assert [r["id"] for r in runs] == ["ev_1"]
    run = client.get(f"{V1}/evals/runs/ev_1", headers=bearer(keys["read"])).json()
    assert run["summary"][0]["cases"] == 1 and run["results"][0]["passed"] is True
    assert client.get(f"{V1}/evals/runs/nope", headers=bearer(keys["read"])).status_code == 404
    compared = client.get(
        f"{V1}/evals/compare",
        headers=bearer(keys["read"]),
        params=[("run", "ev_1"), ("run", "ev_1")],
    ).json()
    assert [r["id"] for r in compared["runs"]] == ["ev_1"] and compared["summary"]


def test_an_escalation_is_acknowledged_once(client: TestClient, seeded, keys) -> None:
    at = "2026-12-08T10:00:00"
    status = client.get(f"{V1}/plan/status", headers=bearer(keys["read"]), params={"at": at})
    task = status.json()["tasks"][0]["task"]
    slip = {"kind": "slip", "task": task, "days": 3, "reason": "vendor late", "at": at}
    client.post(f"{V1}/plan/events", headers=bearer(keys["write"]), json=slip)
    listed = client.get(f"{V1}/plan/escalations", headers=bearer(keys["read"]), params={"at": at})
    escalation = next(e for e in listed.json() if e["task"] == task)
    assert escalation["acknowledged_by"] is None
    url = f"{V1}/plan/escalations/{escalation['id']}/ack"
    body = {"by": "<script>x</script> =1+1", "at": at}
    acked = client.post(url, headers=bearer(keys["write"]), json=body)
    assert acked.status_code == 201, acked.text
    assert acked.json()["event"]["kind"] == "acknowledge" and "pagerduty" not in acked.json()
    listed = client.get(f"{V1}/plan/escalations", headers=bearer(keys["read"]), params={"at": at})
    by_id = {e["id"]: e["acknowledged_by"] for e in listed.json()}
    assert by_id[escalation["id"]] == body["by"]
    again = client.post(url, headers=bearer(keys["write"]), json=body)
    assert again.status_code == 422 and "already acknowledged" in again.json()["detail"]
    unknown = client.post(
        f"{V1}/plan/escalations/ffff/ack", headers=bearer(keys["write"]), json={"at": at}
    )
    assert unknown.status_code == 422 and "matches 0 escalations" in unknown.text
    assert escalation["id"] in unknown.text  # the hint lists the ids in force


def test_plan_reads_and_events(client: TestClient, seeded, keys) -> None:
    at = {"at": "2026-12-08T10:00:00"}
    status = client.get(f"{V1}/plan/status", headers=bearer(keys["read"]), params=at).json()
    task = status["tasks"][0]["task"]
    assert (
        client.get(f"{V1}/plan/escalations", headers=bearer(keys["read"]), params=at).status_code
        == 200
    )
    memo = client.get(f"{V1}/plan/memo", headers=bearer(keys["read"]), params=at).json()
    assert memo["markdown"].startswith("#")
    slip = {"kind": "slip", "task": task, "days": 1, "reason": "vendor late", "at": at["at"]}
    recorded = client.post(f"{V1}/plan/events", headers=bearer(keys["write"]), json=slip)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["event"]["kind"] == "slip"
    # the CLI's validation: no reason, no slip; an unknown task is a problem with the plan
    no_reason = client.post(
        f"{V1}/plan/events", headers=bearer(keys["write"]), json={**slip, "reason": " "}
    )
    assert no_reason.status_code == 422
    unknown = client.post(
        f"{V1}/plan/events", headers=bearer(keys["write"]), json={**slip, "task": "day99<script>"}
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
