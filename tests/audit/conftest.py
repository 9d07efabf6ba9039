"""Fixtures of the auditor's tests: hand-made crawl datasets (see builder.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from .builder import Site

MakeDataset = Callable[..., Path]


@pytest.fixture
def make_dataset(tmp_path: Path) -> MakeDataset:
    """`make_dataset(ops, name=...)`: the clean site with `ops` applied, written to a folder."""
    counter = iter(range(1_000))

    def make(ops: Iterable[Mapping[str, Any]] = (), name: str | None = None) -> Path:
        folder = tmp_path / (name or f"crawl-{next(counter)}")
        return Site.clean().apply(ops).write(folder)

    return make
