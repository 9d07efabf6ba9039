"""The dashboard's security, in process: login, sessions, CSRF, roles refused by the server,
and hostile crawled text rendered inert."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, bearer, new_key
from tests.web.conftest import PASSWORD, csrf_of, log_in

from marketloop.api.scopes import Scope
from marketloop.web.render import environment
from marketloop.web.session import COOKIE
from marketloop.web.users import MAX_FAILURES, disable_user

pytestmark = pytest.mark.usefixtures("seeded")


def test_pages_need_a_login(client: TestClient) -> None:
    answer = client.get("/site/pages", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/site/pages"
    htmx = client.get("/runs", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"].startswith("/login")


def test_login_form_needs_its_csrf_token(client: TestClient, users: dict[str, str]) -> None:
    client.get("/login")
    answer = client.post("/login", data={"name": "editor", "password": PASSWORD})
    assert answer.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unsafe_requests_need_the_session_token(client: TestClient, login: Callable) -> None:
    token = login("editor")
    form = {"kind": "done", "task": "day1"}
    assert client.post("/plan/events", data=form).status_code == 403
    assert client.post("/plan/events", data={**form, "csrf_token": "x" * 32}).status_code == 403
    ok = client.post("/plan/events", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    header = client.post("/plan/events", data=form, headers={"X-CSRF-Token": token},
                         follow_redirects=False)  # fmt: skip
    assert header.status_code in (303, 422)  # accepted (day1 may already be done: 422)


def test_login_issues_a_new_session(client: TestClient, users: dict[str, str]) -> None:
    """Session fixation: the cookie and token from before the login are worth nothing after."""
    before_token = csrf_of(client.get("/login").text)
    before = client.cookies[COOKIE]
    client.post("/login", data={"name": "editor", "password": PASSWORD,
                                "csrf_token": before_token})  # fmt: skip
    after = client.cookies[COOKIE]
    assert after != before
    assert csrf_of(client.get("/").text) != before_token
    planted = TestClient(client.app)
    planted.cookies.set(COOKIE, before)
    assert planted.get("/", follow_redirects=False).status_code == 303


def test_cookie_flags(app: FastAPI, users: dict[str, str]) -> None:
    with TestClient(app, base_url="https://dash.example") as secure:
        answer = secure.get("/login")
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    with TestClient(app) as plain:
        assert "secure" not in plain.get("/login").headers["set-cookie"].lower()


def test_disabled_user_session_ends(client: TestClient, app: FastAPI, login: Callable) -> None:
    login("editor")
    assert client.get("/").status_code == 200
    disable_user(app.state.api.engine, "editor")
    assert client.get("/", follow_redirects=False).status_code == 303
    token = csrf_of(client.get("/login").text)
    again = client.post("/login", data={"name": "editor", "password": PASSWORD,
                                        "csrf_token": token})  # fmt: skip
    assert again.status_code == 401


def test_logout_everywhere(app: FastAPI, users: dict[str, str]) -> None:
    with TestClient(app) as laptop, TestClient(app) as phone:
        token = log_in(laptop, "viewer")
        log_in(phone, "viewer")
        laptop.post("/logout-everywhere", data={"csrf_token": token})
        assert phone.get("/", follow_redirects=False).status_code == 303
        assert laptop.get("/", follow_redirects=False).status_code == 303


def test_lockout_after_failures(client: TestClient, users: dict[str, str]) -> None:
    token = csrf_of(client.get("/login").text)
    for _ in range(MAX_FAILURES):
        wrong = client.post("/login", data={"name": "admin", "password": "nope-nope-nope",
                                            "csrf_token": token})  # fmt: skip
        assert wrong.status_code == 401
    locked = client.post("/login", data={"name": "admin", "password": PASSWORD,
                                         "csrf_token": token})  # fmt: skip
    assert locked.status_code == 401
    assert "locked" in locked.text


def test_login_rate_limit_per_address(client: TestClient, users: dict[str, str]) -> None:
    token = csrf_of(client.get("/login").text)
    codes = [
        client.post(
            "/login", data={"name": f"nobody{n}", "password": "x" * 12, "csrf_token": token}
        ).status_code
        for n in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


REFUSED = [
    ("post", "/plan/events", {"kind": "done", "task": "day1"}),
    ("post", "/briefs/content-brief-template/review", {"decision": "approve"}),
    ("post", "/briefs/content-brief-template/publish", {}),
    ("post", "/runs", {"loop": "any"}),
    ("post", "/runs/run-x/cancel", {}),
    ("post", "/runs/run-x/steps/a/approve", {}),
    ("post", "/settings/keys", {"name": "k", "scopes": "read"}),
    ("post", "/settings/keys/1/revoke", {}),
    ("get", "/settings", {}),
]


@pytest.mark.parametrize(("method", "path", "form"), REFUSED)
def test_viewer_is_refused_by_the_server(
    client: TestClient, login: Callable, method: str, path: str, form: dict[str, str]
) -> None:
    token = login("viewer")
    if method == "get":
        answer = client.get(path)
    else:
        answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 403
    assert "may not do this" in answer.text


@pytest.mark.parametrize("path", ["/settings", "/settings/keys/1/revoke"])
def test_editor_is_not_admin(client: TestClient, login: Callable, path: str) -> None:
    token = login("editor")
    answer = client.post(path, data={"csrf_token": token}) if "revoke" in path else client.get(path)
    assert answer.status_code == 403


def test_bearer_calls_need_no_csrf(client: TestClient, app: FastAPI) -> None:
    key = new_key(app, Scope.write, Scope.read)
    answer = client.post("/api/v1/briefs/content-brief-template/review",
                         json={"decision": "approve"}, headers=bearer(key))  # fmt: skip
    assert answer.status_code == 201


HOSTILE = '=HYPERLINK("http://evil.example","<script>x</script>")'


@pytest.mark.parametrize(
    "path",
    ["/site/pages?q=pricing",
     f"/site/page?crawl={CRAWL_ID}&url=https://example.com/pricing",
     f"/site/page?crawl={CRAWL_ID}&url=https://example.com/"],
)  # fmt: skip
def test_hostile_crawled_text_is_inert(client: TestClient, login: Callable, path: str) -> None:
    login("viewer")
    html = client.get(path).text
    assert "<script>x" not in html
    assert "[/]" in html or "pricing" in html


def test_hostile_title_is_escaped(client: TestClient, login: Callable) -> None:
    login("viewer")
    html = client.get("/site/pages?q=pricing").text
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&#34;&#39;&amp;" in html


def test_control_characters_are_dropped() -> None:
    text = environment().from_string("<p>{{ v }}</p>").render(v="a\x07b\x1b[31m<script>\u2028")
    assert text == "<p>ab[31m&lt;script&gt;</p>"
