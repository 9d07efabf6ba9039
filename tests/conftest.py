"""Test hygiene shared by every stage: a clean environment and a fresh workspace per test.

Markers: `postgres`, `redis` and `browser` tests talk to real servers (PostgreSQL 127.0.0.1:5432,
Redis 127.0.0.1:6379, /usr/bin/chromium). They are never skipped under CI=true: a missing
service fails them loudly there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from marketloop.appdb import dispose_all
from marketloop.observe.logging import forget_secrets
from marketloop.workspace import Workspace

pytest_plugins = ["tests.browser_junit"]  # --browser-junit PATH: the browser tests as JUnit XML


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No MARKETLOOP_* variable or ./marketloop.toml leaks into a test, or out of it."""
    for key in list(os.environ):
        if key.startswith("MARKETLOOP_"):
            monkeypatch.delenv(key)
    home = tmp_path / "cwd"
    home.mkdir()
    monkeypatch.chdir(home)
    yield
    # CLI runs bind logging to a captured stderr that closes with the test; pooled app-database
    # connections point at this test's workspace: neither may leak into the next test.
    structlog.reset_defaults()
    dispose_all()
    forget_secrets()  # secret values registered by this test's settings mask nothing later


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws").ensure()


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


# --- real services -------------------------------------------------------------------------

PG_ADMIN_URL = os.environ.get("MARKETLOOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MARKETLOOP_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _unavailable(service: str, error: Exception) -> None:
    """Fail under CI=true (services must be there); skip on a developer machine without them."""
    message = f"{service} is not reachable: {error}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on 127.0.0.1:5432, dropped after the test."""
    import uuid

    import psycopg

    name = f"marketloop_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            from marketloop.appdb import dispose_all

            dispose_all()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis database 15 on 127.0.0.1:6379, flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        _unavailable("Redis", exc)
    yield REDIS_URL
    client.flushdb()
    client.close()
