"""Fixtures of the quality tests; the warehouses they build are described in warehouses.py."""

from __future__ import annotations

import pytest
from tests.quality.warehouses import Built, build_twice


@pytest.fixture(scope="session")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The tiny warehouse on DuckDB, checked twice (dbt runs once per session)."""
    return build_twice(tmp_path_factory.mktemp("duck"))
