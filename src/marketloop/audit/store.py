"""`DIR/issues.parquet`: the audit's result beside the crawl, with the settings that made it.

The file's key-value metadata (`marketloop.audit`) records the crawl id, when the audit ran,
the marketloop version, the checks that ran, the disabled ones and every threshold in force,
so a later reader (crawl-diff, the warehouse) knows what the rows mean.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from marketloop import __version__
from marketloop.audit.model import Issue, Severity
from marketloop.errors import AuditError

ISSUES_FILE = "issues.parquet"
META_KEY = b"marketloop.audit"

ISSUES = pa.schema(
    [
        ("check", pa.string()),
        ("severity", pa.string()),
        ("url", pa.string()),
        ("detail", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("priority", pa.float64()),
    ]
)


@dataclass(frozen=True)
class AuditRecord:
    crawl_id: str
    checks: list[str]
    disabled: list[str]
    thresholds: dict[str, float]
    audited_at: str = ""
    tool_version: str = __version__

    def same_settings(self, other: AuditRecord) -> bool:
        return (self.checks, self.thresholds, self.tool_version) == (
            other.checks,
            other.thresholds,
            other.tool_version,
        )


def write_issues(folder: Path, issues: list[Issue] | pa.Table, record: AuditRecord) -> Path:
    """Write `issues` (objects, or a table with the `ISSUES` columns) atomically (temp file +
    rename): a reader never sees half a file."""
    meta = {**record.__dict__, "audited_at": record.audited_at or _now()}
    if isinstance(issues, pa.Table):
        table = issues.select(ISSUES.names).cast(ISSUES)
    else:
        columns = {name: [getattr(i, name) for i in issues] for name in ISSUES.names}
        table = pa.table(columns, schema=ISSUES)
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    target = folder / ISSUES_FILE
    tmp = folder / f".{ISSUES_FILE}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AuditError(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="make the crawl folder writable, or copy it somewhere you can write",
        ) from None
    return target


def stored_record(folder: Path) -> AuditRecord | None:
    """What made the stored audit of a crawl (read from the file's footer alone), or None when
    it has none (or an unreadable one)."""
    path = folder / ISSUES_FILE
    if not path.is_file():
        return None
    try:
        meta: dict[str, Any] = json.loads((pq.read_schema(path).metadata or {})[META_KEY])
        return AuditRecord(**meta)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None


def read_issue_table(folder: Path, columns: list[str] | None = None) -> pa.Table | None:
    """The stored issues of a crawl as an Arrow table, in the stored order (priority, highest
    first), with `columns` (default all of `ISSUES`); None when it has none (or an unreadable
    one). Columnar: a million issues stay a few hundred MB, where `Issue` objects take GBs."""
    return _table(folder, columns) if stored_record(folder) is not None else None


def as_issues(table: pa.Table) -> list[Issue]:
    """Rows of an issues table (the columns of `ISSUES`) as `Issue`s, in order."""
    severities = {s.value: s for s in Severity}
    columns = [table[name].to_pylist() for name in ISSUES.names]
    return [
        Issue(check, severities[severity], url, detail, value, threshold, score)
        for check, severity, url, detail, value, threshold, score in zip(*columns, strict=True)
    ]


def read_issues(folder: Path) -> tuple[list[Issue], AuditRecord] | None:
    """The stored audit of a crawl, or None when it has none (or an unreadable one)."""
    record = stored_record(folder)
    table = _table(folder, None) if record is not None else None  # the footer read once
    if record is None or table is None:
        return None
    return as_issues(table), record


def _table(folder: Path, columns: list[str] | None) -> pa.Table | None:
    try:
        return pq.read_table(folder / ISSUES_FILE, columns=columns or ISSUES.names)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
