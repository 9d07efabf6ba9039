"""The dashboard on the API's seeded workspace (tests/api/conftest.py), with one user per role."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api import conftest as api_fixtures

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.web.users import create_user

# the API's fixtures: a seeded workspace, settings, the app and its client
app, client, settings = api_fixtures.app, api_fixtures.client, api_fixtures.settings
make_settings, seeded = api_fixtures.make_settings, api_fixtures.seeded
seed_template = api_fixtures.seed_template
PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def users(settings: Settings) -> dict[str, str]:
    """One user per role, in the app database of `settings` (every app built on it sees them)."""
    engine = open_app_db(app_db_url(settings))
    for role in ("viewer", "editor", "admin"):
        create_user(engine, role, PASSWORD, role)
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
