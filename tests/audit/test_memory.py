"""The audit's DuckDB memory cap and spill folder come from `[audit]`; running out says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.errors import AuditError

from .conftest import MakeDataset


def test_the_spill_folder_is_made_in_spill_dir_and_removed(
    make_dataset: MakeDataset, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    result = audit(make_dataset(), AuditSettings(memory_limit="256MB", spill_dir=spill))
    assert result.plan.checks and spill.is_dir() and not list(spill.iterdir())


def test_too_little_memory_is_a_clear_error(make_dataset: MakeDataset, tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="ran out of DuckDB memory") as caught:
        audit(make_dataset(), AuditSettings(memory_limit="1KB", spill_dir=tmp_path), save=False)
    assert "audit.memory_limit" in (caught.value.hint or "")


@pytest.mark.parametrize("size", ["lots", "1 GBs", "-1GB", ""])
def test_a_memory_limit_is_a_size(size: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        AuditSettings(memory_limit=size)
