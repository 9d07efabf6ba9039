"""The DuckDB warehouse's one writer at a time, and a read copy that no writer can break.

DuckDB lets one process write a file, and a process that has it open read-only keeps writers
out. So the API and the dashboard never open the warehouse itself: they read its read copy,
`warehouse.read.duckdb` beside it, the state after the last write that finished.

    with warehouse_lock(path):      a writer: an exclusive `flock` on `warehouse.lock` beside
        ...write...                 the file (per open file, so two threads of one worker
                                    exclude each other as two processes do; the kernel drops it
                                    when a process dies, even by kill -9)
    refresh(path)                   the writer, still holding the lock: the read copy made anew
    for_reading(path)               a reader: the read copy (made first if the warehouse
                                    changed since and no writer holds the lock), else the file

The copy is written by DuckDB (`COPY FROM DATABASE` from the warehouse attached read-only,
so a write that a killed writer left in the WAL is in it too) into a temporary file, then
swapped in with `os.replace`: a reader has the old copy or the new one open, never a half
written one. Writers that do not take the lock (a person's `marketloop ingest` beside a
worker) still exclude readers for as long as they write; readers then keep the previous copy.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from marketloop.config import Settings

log = structlog.get_logger("marketloop.quality")


def warehouse_file(settings: Settings) -> Path:
    """The DuckDB file writers lock: `[warehouse]`'s, or the workspace's default for a warehouse
    elsewhere (PostgreSQL: the lock then only orders marketloop's own writers)."""
    from marketloop.workspace import Workspace

    workspace = Workspace(settings.workspace)
    if settings.warehouse.destination == "duckdb":
        return settings.warehouse.duckdb_file(workspace)
    return workspace.warehouse_path.resolve()


def lock_file(warehouse: Path) -> Path:
    return warehouse.with_name("warehouse.lock")


def read_copy(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".read.duckdb")


@contextmanager
def warehouse_lock(warehouse: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the writer lock; with `wait=False`, yield False at once if a writer holds it."""
    path = lock_file(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def refresh(warehouse: Path) -> bool:
    """Make the read copy from the warehouse (call it holding the lock); False when the
    warehouse is absent or a writer that does not take the lock has it open."""
    import duckdb

    try:
        stamp = _stamp(warehouse)
    except FileNotFoundError:
        return False
    temporary = warehouse.with_name(f".{warehouse.stem}.read-{uuid.uuid4().hex[:8]}.duckdb")
    try:
        with duckdb.connect() as con:
            con.execute("ATTACH ? AS src (READ_ONLY)", [str(warehouse)])
            con.execute("ATTACH ? AS dst", [str(temporary)])
            con.execute("COPY FROM DATABASE src TO dst")
            con.execute("DETACH dst")
            con.execute("DETACH src")
        os.utime(temporary, ns=(stamp, stamp))
        temporary.replace(read_copy(warehouse))
    except duckdb.Error as exc:
        log.info("read copy not refreshed", warehouse=str(warehouse), reason=str(exc))
        return False
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return True


def for_reading(warehouse: Path) -> Path:
    """The file a reader opens read-only: the read copy, refreshed first when it is older than
    the warehouse and no writer holds the lock; the warehouse itself when there is no copy."""
    copy = read_copy(warehouse)
    if warehouse.is_file() and not _fresh(warehouse, copy):
        with warehouse_lock(warehouse, wait=False) as held:
            if held and not _fresh(warehouse, copy):
                refresh(warehouse)
    return copy if copy.is_file() else warehouse


def _stamp(warehouse: Path) -> int:
    """When the warehouse last changed: its file, or the WAL a writer left beside it."""
    wal = warehouse.with_name(warehouse.name + ".wal")
    stamps = [warehouse.stat().st_mtime_ns]
    if wal.exists():
        stamps.append(wal.stat().st_mtime_ns)
    return max(stamps)


def _fresh(warehouse: Path, copy: Path) -> bool:
    try:
        return copy.stat().st_mtime_ns == _stamp(warehouse)
    except FileNotFoundError:
        return False
