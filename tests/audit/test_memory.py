"""The audit's DuckDB memory cap and spill folder come from `[audit]`; running out says so."""

from __future__ import annotations

import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketloop.audit import heap
from marketloop.audit.config import AuditSettings, size_bytes
from marketloop.audit.engine import audit
from marketloop.audit.model import Check, CheckContext, Finding, Severity
from marketloop.audit.registry import REGISTRY
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


@pytest.mark.parametrize(
    ("size", "expected"),
    [("1GB", 10**9), ("512MB", 512 * 10**6), ("1.5 GiB", 3 * 2**29), ("64kib", 2**16), ("7B", 7)],
)
def test_a_size_in_bytes_reads_units_as_duckdb_does(size: str, expected: int) -> None:
    assert size_bytes(size) == expected


def test_a_size_in_bytes_refuses_what_is_not_a_size() -> None:
    with pytest.raises(ValueError, match="is not a size"):
        size_bytes("1 GBs")


def test_python_checks_run_after_the_sql_ones_with_duckdb_capped_below_the_limit(
    make_dataset: MakeDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    trimmed: list[list[str]] = []

    def probe(ctx: CheckContext) -> Iterator[Finding]:
        (limit,) = ctx.con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
        seen.append(limit)
        yield Finding("https://example.com/", "probed <script>\"'&[/]")

    check = Check("zz_probe", Severity.notice, "every page", "A probe.", "None.", probe)
    sql = "SELECT 'https://example.com/' AS url, current_setting('memory_limit') AS detail"
    sql_probe = Check("zz_sql_probe", Severity.notice, "every page", "A probe.", "None.",
                      probe, sql=sql)  # fmt: skip
    monkeypatch.setitem(REGISTRY, check.id, check)
    monkeypatch.setitem(REGISTRY, sql_probe.id, sql_probe)
    monkeypatch.setattr(heap, "trim", lambda: trimmed.append(list(seen)))
    done: list[Check] = []
    result = audit(make_dataset(), AuditSettings(memory_limit="100MB"), save=False,
                   progress=done.append)  # fmt: skip
    # 80% of 100 MB while the SQL checks run, half from the Python checks on (the issues
    # table is built as Arrow outside DuckDB's cap)
    assert seen == ["47.6 MiB"]
    assert [i.detail for i in result.issues if i.check == "zz_sql_probe"] == ["76.2 MiB"]
    python = [c.id for c in done if c.sql is None]
    assert len(trimmed) == len(python) and ["47.6 MiB"] in trimmed  # after each Python check
    kinds = ["python" if c.sql is None else "sql" for c in done]
    assert "zz_probe" in [c.id for c in done] and kinds == sorted(kinds, reverse=True)
    found = [i for i in result.issues if i.check == "zz_probe"]
    assert [i.detail for i in found] == ["probed <script>\"'&[/]"]


def test_trimming_the_heap_is_safe_to_call_and_found_on_glibc() -> None:
    heap.trim()
    heap.trim()
    if platform.libc_ver()[0] == "glibc":
        assert heap._malloc_trim() is not None
