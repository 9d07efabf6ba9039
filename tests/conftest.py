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
from typer.testing import CliRunner

from marketloop.workspace import Workspace


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


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws").ensure()


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()
