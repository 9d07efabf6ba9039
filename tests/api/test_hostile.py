"""Hostile input on every kind of parameter: problem details, never a 5xx, nothing leaked."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, bearer, new_key

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope

PAGES = f"/api/v1/crawls/{CRAWL_ID}/pages"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    return body


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 10**9},
        {"limit": 0},
        {"limit": -1},
        {"limit": "ten"},
        {"starting_after": "-1"},
        {"starting_after": "x" * 5000},
        {"status": 99},
        {"indexability": "<script>"},
        {"sort": "url; DROP TABLE pages"},
        {"sort": "--url"},
        {"check": "[/]"},
        {"url_contains": "%' OR 1=1 --"},
        {"status": "1e3"},
    ],
)
def test_bad_query_parameters(client: TestClient, seeded, keys, params) -> None:
    response = client.get(PAGES, headers=bearer(keys["read"]), params=params)
    if params.get("url_contains"):  # bound as a parameter: a harmless substring, no rows
        assert response.status_code == 200 and response.json()["data"] == []
        return
    assert response.status_code in (400, 422), (params, response.text)
    _problem(response, response.status_code)


@pytest.mark.parametrize(
    "crawl_id",
    ["..", "...", "%2e%2e", "..%2F..%2Fetc", "a%00b", "%2Fetc%2Fpasswd", "x" * 300, "<script>"],
)
def test_path_traversal_in_ids(client: TestClient, seeded, keys, crawl_id) -> None:
    for suffix in ("", "/pages", "/issues", "/tickets", "/pages.csv", "/extractions"):
        response = client.get(f"/api/v1/crawls/{crawl_id}{suffix}", headers=bearer(keys["read"]))
        assert response.status_code in (404, 422), (crawl_id, suffix, response.status_code)
        assert "/etc" not in response.json().get("hint", "")
    brief = client.get(f"/api/v1/briefs/{crawl_id}", headers=bearer(keys["read"]))
    assert brief.status_code in (404, 422)


def test_crawl_symlinked_out_of_the_workspace_is_not_served(client, seeded, keys, tmp_path) -> None:
    outside = tmp_path / "outside"
    (seeded.crawls_dir / CRAWL_ID).rename(outside)
    (seeded.crawls_dir / CRAWL_ID).symlink_to(outside)
    assert client.get(f"/api/v1/crawls/{CRAWL_ID}", headers=bearer(keys["read"])).status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b'{"decision": "approve"', "application/json", 422),
        (b"decision=approve", "application/x-www-form-urlencoded", 415),
        (b"<xml/>", "text/xml", 415),
        (b'{"decision": "approve"}', "text/plain", 415),
        (b'"just a string"', "application/json", 422),
        (b'{"decision": "approve", "comment": "' + b"x" * 6000 + b'"}', "application/json", 422),
        (b"\xff\xfe\x00", "application/json", 400),
    ],
)
def test_malformed_bodies(client: TestClient, seeded, keys, body, content_type, status) -> None:
    response = client.post(
        "/api/v1/briefs/content-brief-template/review",
        content=body,
        headers={**bearer(keys["write"]), "Content-Type": content_type},
    )
    _problem(response, status)


def test_ten_megabyte_body_is_413_before_it_is_read(client: TestClient, seeded, keys) -> None:
    big = b'{"decision": "approve", "comment": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/plan/events",
        content=big,
        headers={**bearer(keys["write"]), "Content-Type": "application/json"},
    )
    _problem(response, 413)


def test_chunked_body_over_the_cap_is_refused(client: TestClient, seeded, keys) -> None:
    def chunks():
        yield b'{"decision": "approve", "comment": "'
        for _ in range(11):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = client.post(
        "/api/v1/briefs/content-brief-template/review",
        content=chunks(),
        headers={**bearer(keys["write"]), "Content-Type": "application/json"},
    )
    _problem(response, 413)


def test_unknown_routes_and_methods_are_problems(client: TestClient, keys) -> None:
    _problem(client.get("/api/v1/nope", headers=bearer(keys["read"])), 404)
    _problem(client.put("/api/v1/keys", headers=bearer(keys["admin"])), 405)


def test_cors_is_closed_unless_configured(client: TestClient, make_settings) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    closed = client.options("/api/v1/scopes", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    app = create_app(make_settings(api={"cors_origins": ["https://app.example"]}))
    with TestClient(app) as open_client:
        allowed = open_client.options(
            "/api/v1/scopes", headers={**preflight, "Origin": "https://app.example"}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        denied = open_client.options("/api/v1/scopes", headers=preflight)
        assert "access-control-allow-origin" not in denied.headers


HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("create table if not exists hold(x int)")
print("held", flush=True)
time.sleep(30)
"""


def test_busy_warehouse_is_503_with_retry_after(client: TestClient, seeded, keys) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(seeded.warehouse_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        started = time.monotonic()
        response = client.get("/api/v1/marts/page_performance", headers=bearer(keys["read"]))
        assert time.monotonic() - started < 10  # answered at once, not after the job
        body = _problem(response, 503)
        assert int(response.headers["retry-after"]) >= 1 and str(seeded.root) not in body["detail"]
        assert client.get("/readyz").json()["checks"]["warehouse"] == "busy"
    finally:
        writer.kill()
        writer.communicate()


def test_a_warehouse_being_written_is_read_from_its_last_copy(
    client: TestClient, seeded, keys
) -> None:
    """Once the warehouse has been read (or written by a step), readers keep a read copy: a
    writer holding the file no longer makes the API answer 503 (quality/readcopy.py)."""
    path = "/api/v1/marts/page_performance"
    before = client.get(path, headers=bearer(keys["read"]))
    assert before.status_code == 200
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(seeded.warehouse_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        during = client.get(path, headers=bearer(keys["read"]))
        assert during.status_code == 200 and during.json() == before.json()
        assert client.get("/readyz").json()["checks"]["warehouse"] == "ok"
    finally:
        writer.kill()
        writer.communicate()


def test_no_secret_in_responses(app, client: TestClient, keys) -> None:
    key = new_key(app, Scope.admin)
    listed = client.get("/api/v1/keys", headers=bearer(key))
    assert key not in listed.text and app.state.api.auth.pepper.decode() not in listed.text


@pytest.mark.parametrize("at", ["9999-12-31T00:00:00", "0001-01-01T00:00:00"])
def test_plan_moments_far_away_are_refused_quickly(client: TestClient, seeded, keys, at) -> None:
    started = time.monotonic()
    response = client.get("/api/v1/plan/status", headers=bearer(keys["read"]), params={"at": at})
    _problem(response, 400)
    assert time.monotonic() - started < 5  # the calendar is never walked to year 9999
