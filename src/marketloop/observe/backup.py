"""`marketloop backup DIR` / `restore DIR`: the app database (with the run history), the crawl
datasets and the warehouse, taken consistently while the service runs.

    app database   SQLite: the online backup API (a consistent copy while others write);
                   PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`
    warehouse      the DuckDB file copied while holding the warehouse lock (quality/readcopy.py):
                   every writer holds it, so no write is half done in the copy
    crawls         each crawl dataset (a folder with its manifest), copied whole but for its
                   URL index (`url-index/`, a cache the first page detail rebuilds)
    logs           the step logs (WORKSPACE/logs/RUN/STEP.log), as far as retention kept them

DIR/backup.json lists the parts and their SHA-256; restore checks them before writing, and
refuses a workspace that already has an app database or a warehouse (it never merges).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from marketloop import __version__
from marketloop.audit.urlindex import INDEX as URL_INDEX
from marketloop.config import Settings, app_db_url
from marketloop.errors import ConfigError, MarketloopError, UsageError
from marketloop.quality.readcopy import warehouse_lock
from marketloop.workspace import Workspace

INDEX = "backup.json"
PART = re.compile(r"crawls/[A-Za-z0-9][A-Za-z0-9._-]*")
LOGS = "logs"
#: rebuildable caches inside a crawl folder: the URL index and an index being built or swapped
CACHES = shutil.ignore_patterns(URL_INDEX, f".{URL_INDEX}-*")


class BackupError(MarketloopError):
    """A backup or restore that could not be made; nothing was overwritten."""


def backup(settings: Settings, folder: Path) -> list[str]:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} is not empty (or not a directory): back up into a new one")
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace(settings.workspace)
    parts: dict[str, dict[str, Any]] = {}
    url = make_url(app_db_url(settings))
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(url.database or ""), folder / "app.db")
        parts["app.db"] = {"kind": "sqlite"}
    else:
        _run(["pg_dump", "--format=custom", f"--file={folder / 'app.pgdump'}", _pg(url)])
        parts["app.pgdump"] = {"kind": "postgresql"}
    warehouse = settings.warehouse.duckdb_file(ws)
    if warehouse.is_file():
        with warehouse_lock(warehouse):
            shutil.copy2(warehouse, folder / "warehouse.duckdb")
        parts["warehouse.duckdb"] = {"kind": "duckdb"}
    for crawl in ws.crawl_dirs():
        shutil.copytree(crawl, folder / "crawls" / crawl.name, ignore=CACHES)
        parts[f"crawls/{crawl.name}"] = {"kind": "crawl"}
    if (ws.root / LOGS).is_dir():
        shutil.copytree(ws.root / LOGS, folder / LOGS)
        parts[LOGS] = {"kind": "step logs"}
    for name, part in parts.items():
        part["sha256"] = _digest(folder / name)
    index = {"marketloop": __version__, "created_at": datetime.now(UTC).isoformat(), "parts": parts}
    (folder / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return sorted(parts)


def restore(settings: Settings, folder: Path) -> list[str]:
    index_path = folder / INDEX
    if not index_path.is_file():
        raise UsageError(f"{folder} holds no {INDEX}: not a marketloop backup")
    parts = _parts(index_path)
    for name, part in parts.items():
        if not (folder / name).exists() or _digest(folder / name) != part["sha256"]:
            raise BackupError(f"{folder / name} does not match its checksum in {INDEX}")
    ws = Workspace(settings.workspace).ensure()
    url = make_url(app_db_url(settings))
    warehouse = settings.warehouse.duckdb_file(ws)
    logs = ws.root / LOGS
    _refuse_existing(parts, warehouse, logs)
    if "app.db" in parts:
        target = Path(url.database or "")
        if url.get_backend_name() != "sqlite" or target.exists():
            raise UsageError(f"the backup has a SQLite app database; {target} must be new")
        _sqlite_backup(folder / "app.db", target)
    if "app.pgdump" in parts:
        if url.get_backend_name() == "sqlite":
            raise ConfigError("the backup has a PostgreSQL app database: set app_db_url")
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_pg(url)}",
              str(folder / "app.pgdump")])  # fmt: skip
    if "warehouse.duckdb" in parts:
        shutil.copy2(folder / "warehouse.duckdb", warehouse)
    for name in parts:
        if name.startswith("crawls/"):
            shutil.copytree(folder / name, ws.crawls_dir / Path(name).name, dirs_exist_ok=False)
    if LOGS in parts:
        shutil.copytree(folder / LOGS, logs, dirs_exist_ok=True)
    return sorted(parts)


def _refuse_existing(parts: dict[str, Any], warehouse: Path, logs: Path) -> None:
    """UsageError when restoring would write over a warehouse or step logs (never merged)."""
    if warehouse.exists() and "warehouse.duckdb" in parts:
        raise UsageError(f"{warehouse} exists: restore into a new workspace")
    if LOGS in parts and logs.is_dir() and any(logs.iterdir()):
        raise UsageError(f"{logs} holds step logs: restore into a new workspace")


def _parts(index_path: Path) -> dict[str, dict[str, Any]]:
    """The parts an index lists, refused unless every name is one backup() writes."""
    try:
        parts = json.loads(index_path.read_text(encoding="utf-8"))["parts"]
        names_ok = all(
            name in {"app.db", "app.pgdump", "warehouse.duckdb", LOGS} or PART.fullmatch(name)
            for name in parts
        )
        sums_ok = all(isinstance(p.get("sha256"), str) for p in parts.values())
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        names_ok = sums_ok = False
    if not (names_ok and sums_ok):
        raise UsageError(f"{index_path} is not a marketloop backup index")
    return dict(parts)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no app database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg(url: Any) -> str:
    """A libpq URL for pg_dump / pg_restore (no SQLAlchemy driver suffix)."""
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise ConfigError(f"{argv[0]} is not installed (PostgreSQL client tools)")
    # argv: a fixed PostgreSQL tool and paths of ours, never shell text
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=3600)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-500:]}")


def _digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (sorted relative names and contents)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
