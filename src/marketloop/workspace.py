"""Where a project's data lives: one folder (default `./.marketloop`) holding crawl datasets,
the warehouse, the app database and generated reports.

    WORKSPACE/
      crawls/<crawl-id>/      one crawl dataset per crawl (see crawl/schema.py)
      warehouse.duckdb        the embedded warehouse (measure stage)
      app.db                  the app database: runs, API keys, plan events, eval runs (SQLite)
      reports/                HTML and JSON reports
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from marketloop.errors import WorkspaceError

MANIFEST = "manifest.json"
#: what DuckDB says of a file that is not (or no longer) a database, and what to do about it
DAMAGED_DUCKDB = "not a valid DuckDB database file"
DAMAGED_HINT = (
    "the file is damaged or is not a DuckDB database; nothing was changed: move it aside and "
    "load the data again (`marketloop ingest ...`)"
)
WRITABLE_HINT = "pass --workspace DIR with a folder you can write to"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def crawls_dir(self) -> Path:
        return self.root / "crawls"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def app_db_path(self) -> Path:
        return self.root / "app.db"

    def ensure(self) -> Workspace:
        """Create the workspace folders if they are missing and check that files can be written
        in them; fail clearly (before any work starts) if that is impossible."""
        try:
            for folder in (self.root, self.crawls_dir, self.reports_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot create workspace {self.root}: {exc.strerror}", hint=WRITABLE_HINT
            ) from None
        for folder in (self.root, self.crawls_dir, self.reports_dir):
            try:
                _probe_write(folder)
            except OSError as exc:
                raise WorkspaceError(
                    f"cannot write in workspace folder {folder}: {exc.strerror}",
                    hint=WRITABLE_HINT,
                ) from None
        return self

    def new_crawl_dir(self, host: str, now: datetime | None = None) -> Path:
        """A fresh folder name for a crawl of `host`: crawls/<host>-<UTC timestamp>."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        safe_host = "".join(c if c.isalnum() or c in ".-" else "-" for c in host) or "site"
        return self.crawls_dir / f"{safe_host}-{stamp}"

    def crawl_dirs(self) -> list[Path]:
        """Crawl datasets in the workspace, oldest first (by folder name, which embeds the time)."""
        if not self.crawls_dir.is_dir():
            return []
        found = [p for p in self.crawls_dir.iterdir() if (p / MANIFEST).is_file()]
        return sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime)

    def latest_crawl(self) -> Path:
        crawls = self.crawl_dirs()
        if not crawls:
            raise WorkspaceError(
                f"no crawl dataset in {self.crawls_dir}",
                hint="run `marketloop crawl URL` first, or pass the dataset folder",
            )
        return crawls[-1]


def _probe_write(folder: Path) -> None:
    """Create and remove a file in `folder`: an existing read-only folder passes `mkdir`."""
    handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)  # unique per thread too
    os.close(handle)
    Path(probe).unlink()


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) through a temp file and a rename, so a reader never sees half a
    file and a kill never leaves one; the folder is created if missing."""
    with open_atomic(path) as sink:
        sink.write(text)
    return path


@contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file to write in pieces (a streamed export), renamed into place when the
    block ends; an error inside the block removes the temp file and leaves `path` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as sink:
            yield sink
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
