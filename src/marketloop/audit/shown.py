"""The issues an audit shows, read from its Arrow table: filtered, counted, cut and streamed.

A million-page crawl makes about 1.5 million issues; as `Issue` objects they took over a
gigabyte. Everything `marketloop audit` and the HTML report need is computed here on the
table (`Audit.table`, highest priority first) with Arrow kernels: the severity and check
filters, the counts, the first rows of each check, and the CSV and JSON outputs, which are
written batch by batch. Only the rows a person reads become Python objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from itertools import chain
from typing import TextIO

import pyarrow as pa
import pyarrow.compute as pc

from marketloop import clikit
from marketloop.audit.model import Issue, Severity
from marketloop.audit.store import as_issues

COLUMNS = ["check", "severity", "url", "detail", "value", "threshold", "priority"]
BATCH_ROWS = 10_000
DEPTH_BUCKETS = ("0", "1", "2", "3", "4", "5+", "n/a")


def select(table: pa.Table, severities: Collection[Severity], checks: Collection[str]) -> pa.Table:
    """The rows of these severities and checks (an empty collection keeps every row), in order."""
    keep = None
    for column, wanted in (("severity", [s.value for s in severities]), ("check", list(checks))):
        if wanted:
            mask = pc.is_in(table[column], value_set=pa.array(wanted, pa.string()))
            keep = mask if keep is None else pc.and_(keep, mask)
    return table if keep is None else table.filter(keep)


def severity_counts(table: pa.Table) -> Counter[str]:
    """Issues per severity value (every severity present, 0 when none)."""
    counts: Counter[str] = Counter({s.value: 0 for s in Severity})
    for pair in pc.value_counts(table["severity"]).to_pylist():
        counts[pair["values"]] += pair["counts"]
    return counts


def at_least(table: pa.Table, severity: Severity) -> int:
    """How many issues are at least `severity` (`--fail-on`)."""
    counts = severity_counts(table)
    return sum(counts[s.value] for s in Severity if s.rank >= severity.rank)


def url_count(table: pa.Table) -> int:
    """Distinct URLs with an issue."""
    return int(pc.count_distinct(table["url"]).as_py()) if table.num_rows else 0


def check_counts(table: pa.Table) -> dict[str, int]:
    """Issues per check, most first (ties by check id)."""
    pairs = [(p["values"], p["counts"]) for p in pc.value_counts(table["check"]).to_pylist()]
    return dict(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def head(table: pa.Table, rows: int) -> list[Issue]:
    """The first `rows` issues (the highest priorities) as objects."""
    return as_issues(table.slice(0, rows))


def first_per_check(table: pa.Table, checks: Sequence[str], rows: int) -> dict[str, list[Issue]]:
    """The first `rows` issues of each of `checks`, in the table's order."""
    column = table["check"]
    return {
        c: head(table.filter(pc.equal(column, pa.scalar(c, pa.string()))), rows) for c in checks
    }


def by_depth(table: pa.Table) -> dict[str, list[float]]:
    """Issues per severity and depth bucket (`DEPTH_BUCKETS`), for the report's chart."""
    series = {s.value: [0.0] * len(DEPTH_BUCKETS) for s in Severity}
    if not table.num_rows:
        return series
    grouped = table.select(["severity", "depth"]).group_by(["severity", "depth"])
    for row in grouped.aggregate([([], "count_all")]).to_pylist():
        depth = row["depth"]
        bucket = "n/a" if depth is None else ("5+" if depth >= 5 else str(depth))
        series[row["severity"]][DEPTH_BUCKETS.index(bucket)] += row["count_all"]
    return series


def batches(table: pa.Table) -> Iterator[list[dict[str, object]]]:
    """The issues as rows (`Issue.as_row` keys), `BATCH_ROWS` at a time."""
    for batch in table.select(COLUMNS).to_batches(max_chunksize=BATCH_ROWS):
        yield batch.to_pylist()


def write_csv(table: pa.Table, sink: TextIO) -> None:
    """Every issue as CSV (`clikit.write_csv`: text neutralised), streamed."""
    clikit.write_csv(chain.from_iterable(batches(table)), COLUMNS, sink)


def write_json(table: pa.Table, sink: TextIO) -> None:
    """Every issue as a JSON list, formatted as `clikit.emit_json` does, streamed."""
    clikit.write_json_list(chain.from_iterable(batches(table)), sink)
    sink.write("\n")
