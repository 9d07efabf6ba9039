"""The dashboard on the API's seeded workspace (tests/api/conftest.py), with one user per role."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.api import conftest as api_fixtures

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.web.tables import WebUser
from marketloop.web.users import hash_password

# the API's fixtures: a seeded workspace, settings, the app and its client
app, client, settings = api_fixtures.app, api_fixtures.client, api_fixtures.settings
make_settings, seeded = api_fixtures.make_settings, api_fixtures.seeded
seed_template = api_fixtures.seed_template
PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Argon2 costs most of a second here: hashed once, stored for every test's users."""
    return hash_password(PASSWORD)


@pytest.fixture
def users(settings: Settings, password_hash: str) -> dict[str, str]:
    """One user per role, in the app database of `settings` (every app built on it sees them)."""
    engine = open_app_db(app_db_url(settings))
    with engine.begin() as con:
        for role in ("viewer", "editor", "admin"):
            con.execute(sa.insert(WebUser).values(
                name=role, password_hash=password_hash, role=role, created_at=datetime.now(UTC),
                session_epoch=0, failed_logins=0,
            ))  # fmt: skip
    return {"viewer": "viewer", "editor": "editor", "admin": "admin"}


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log `name` in; the CSRF token of the new session."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": name, "password": password,
                                         "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


@pytest.fixture
def login(client: TestClient, users: dict[str, str]) -> Callable[[str], str]:
    return lambda name: log_in(client, name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test item (the browser page fixture screenshots
    failed tests)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
