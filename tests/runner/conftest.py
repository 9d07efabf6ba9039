"""Runner fixtures: settings on a fresh workspace, in the two supported configurations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marketloop.config import Settings, load_settings
from marketloop.runner.loopfile import parse_loop
from marketloop.runner.model import Loop


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        None,
        {
            "workspace": tmp_path / "ws",
            "runner": {"lease": 2.0, "heartbeat": 0.2, "tick": 0.2, "backoff": 0.05},
        },
    )


@pytest.fixture
def make_loop() -> Callable[..., Loop]:
    def make(steps: str, name: str = "t", **extra: Any) -> Loop:
        head = f"name: {name}\n" + "".join(f"{k}: {v}\n" for k, v in extra.items())
        return parse_loop(head + "steps:\n" + steps, f"{name}.yaml")

    return make
