"""Runner fixtures: settings on a fresh workspace, in the two supported configurations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marketloop.config import Settings, load_settings
from marketloop.runner.loopfile import parse_loop
from marketloop.runner.model import Loop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on a fresh workspace; the app database in SQLite, then in PostgreSQL: every
    test that takes them is the run store's contract, passed by both backends."""
    values: dict[str, Any] = {
        "workspace": tmp_path / "ws",
        "runner": {"lease": 2.0, "heartbeat": 0.2, "tick": 0.2, "backoff": 0.05},
    }
    if request.param == "postgres":
        values["app_db_url"] = request.getfixturevalue("postgres_url")
    return load_settings(None, values)


@pytest.fixture
def make_loop() -> Callable[..., Loop]:
    def make(steps: str, name: str = "t", **extra: Any) -> Loop:
        head = f"name: {name}\n" + "".join(f"{k}: {v}\n" for k, v in extra.items())
        return parse_loop(head + "steps:\n" + steps, f"{name}.yaml")

    return make
