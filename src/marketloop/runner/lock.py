"""The warehouse's single writer: steps that write it hold an exclusive file lock.

`flock` on WORKSPACE/warehouse.lock, taken per open file, so two threads of one worker exclude
each other as two processes do; the kernel drops it when a process dies, even by kill -9.
Readers (reports, the API, the dashboard) take no lock and never wait for a writer.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def warehouse_lock(workspace_root: Path) -> Iterator[None]:
    path = workspace_root / "warehouse.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
