"""The rules of data health, as pure functions: volume anomalies, schema changes, overall status.

Volume anomaly: the latest row count of a table is compared with its counts in the previous runs
(at most `window`, default 14). With at least `min_history` previous counts (default 3),
    z = (latest - mean) / sigma,  sigma = max(sample standard deviation, 1% of the mean, 1 row)
and |z| >= the threshold (default 3) is an anomaly. The floor keeps a perfectly flat history from
flagging a change of a handful of rows.

Overall status (first match wins):
    fail  a freshness check past its error threshold or unable to run; an error-severity test that
          found rows or could not run; a model that failed to build
    warn  a freshness check past its warn threshold; a warn-severity test that found rows; a volume
          anomaly; a column removed or retyped, or a table gone
    pass  otherwise. Models skipped because a test upstream failed, columns or tables added, and
          sources that are absent (a team without HubSpot) are reported but change nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from marketloop.quality.results import FreshnessResult, NodeResult, age_text

Overall = Literal["pass", "warn", "fail"]
Columns = Sequence[tuple[str, str]]  # (name, type) in table order


@dataclass(frozen=True)
class VolumeCheck:
    table: str
    count: int
    history: list[int]  # previous counts, oldest first
    mean: float | None
    z: float | None  # None until there is enough history
    anomaly: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def volume_check(
    table: str,
    count: int,
    history: Sequence[int],
    *,
    z_threshold: float = 3.0,
    window: int = 14,
    min_history: int = 3,
) -> VolumeCheck:
    previous = list(history)[-window:]
    if len(previous) < min_history:
        return VolumeCheck(table, count, previous, None, None, anomaly=False)
    mean = statistics.fmean(previous)
    sigma = max(statistics.stdev(previous), 0.01 * abs(mean), 1.0)
    z = (count - mean) / sigma
    emptied = count == 0 and mean > 0  # however small and noisy the table was
    anomaly = emptied or abs(z) >= z_threshold
    return VolumeCheck(table, count, previous, round(mean, 2), round(z, 2), anomaly)


@dataclass(frozen=True)
class SchemaChange:
    table: str
    change: Literal[
        "table_added", "table_removed", "column_added", "column_removed", "type_changed"
    ]
    column: str | None = None
    before: str | None = None  # the type before
    after: str | None = None  # the type after

    @property
    def breaking(self) -> bool:
        return self.change in {"table_removed", "column_removed", "type_changed"}

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"breaking": self.breaking}


def schema_changes(
    before: Mapping[str, Columns] | None, after: Mapping[str, Columns]
) -> list[SchemaChange]:
    """What changed between the previous run's columns and this run's (none on a first run)."""
    if before is None:
        return []
    changes = [SchemaChange(t, "table_added") for t in sorted(set(after) - set(before))]
    changes += [SchemaChange(t, "table_removed") for t in sorted(set(before) - set(after))]
    for table in sorted(set(before) & set(after)):
        old, new = dict(before[table]), dict(after[table])
        for column in [c for c, _ in after[table] if c not in old]:
            changes.append(SchemaChange(table, "column_added", column, after=new[column]))
        for column in [c for c, _ in before[table] if c not in new]:
            changes.append(SchemaChange(table, "column_removed", column, before=old[column]))
        for column in [c for c, _ in after[table] if c in old and old[c] != new[c]]:
            changes.append(SchemaChange(table, "type_changed", column, old[column], new[column]))
    return changes


def overall_status(
    freshness: Sequence[FreshnessResult],
    models: Sequence[NodeResult],
    tests: Sequence[NodeResult],
    volumes: Sequence[VolumeCheck],
    changes: Sequence[SchemaChange],
) -> tuple[Overall, list[str]]:
    """The run's status and the reasons for it, worst first."""
    fails = [_freshness_reason(f) for f in freshness if f.status in {"fail", "error"}]
    fails += [_test_reason(t) for t in tests if t.status in {"fail", "error"}]
    fails += [f"model {m.name} failed: {m.message}" for m in models if m.status == "error"]
    warns = [_freshness_reason(f) for f in freshness if f.status == "warn"]
    warns += [_test_reason(t) for t in tests if t.status == "warn"]
    warns += [
        f"{v.table}: {v.count:,} rows, z = {v.z} against the last {len(v.history)} runs "
        f"(mean {v.mean:,.0f})"
        for v in volumes
        if v.anomaly and v.mean is not None
    ]
    warns += [_change_reason(c) for c in changes if c.breaking]
    if fails:
        return "fail", fails + warns
    if warns:
        return "warn", warns
    return "pass", []


def _freshness_reason(result: FreshnessResult) -> str:
    what = "last load" if result.kind == "load" else f"newest data in {result.table}"
    if result.status == "error":
        return f"{result.source} {what}: freshness check could not run: {result.message}"
    limit = result.error_after if result.status == "fail" else result.warn_after
    return f"{result.source} {what} is {age_text(result.lag_hours)} old (limit {limit})"


def _test_reason(test: NodeResult) -> str:
    where = f"{test.model}.{test.column}" if test.column else test.model
    if test.status == "error":
        return f"test {test.test or test.name} on {where} could not run: {test.message}"
    return f"test {test.test or test.name} on {where}: {failing_rows(test.failures or 0)}"


def failing_rows(n: int) -> str:
    return f"{n:,} failing row{'' if n == 1 else 's'}"


def _change_reason(change: SchemaChange) -> str:
    if change.change == "table_removed":
        return f"{change.table} is gone since the previous run"
    if change.change == "column_removed":
        return f"{change.table}.{change.column} ({change.before}) was removed"
    return f"{change.table}.{change.column} changed type from {change.before} to {change.after}"
