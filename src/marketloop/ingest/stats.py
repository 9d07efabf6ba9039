"""What one ingest run did: requests, retries, pages and rows per stream, quota left, time.

Sources count into a `RunStats` while they page; the CLI listens to it for progress and prints
it as the summary table at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: called after every page: (stream, rows in the page, rows expected in total if known)
PageListener = Callable[[str, int, int | None], None]


@dataclass
class RunStats:
    source: str
    requests: int = 0
    retries: int = 0
    pages: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    quota: dict[str, float] = field(default_factory=dict)  # e.g. {"tokens/day": 24950}
    listener: PageListener | None = None
    started: float = field(default_factory=time.monotonic)

    def page(self, stream: str, rows: int, total: int | None = None) -> None:
        self.pages[stream] += 1
        self.rows[stream] += rows
        if self.listener is not None:
            self.listener(stream, rows, total)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def quota_left(self) -> str:
        return ", ".join(f"{name} {value:,.0f}" for name, value in self.quota.items()) or "-"


def summary_rows(dataset: str, loaded: Mapping[str, int], stats: RunStats) -> list[dict[str, Any]]:
    """One row per table loaded: the summary every `ingest` command prints."""
    rows = []
    for table, count in sorted(loaded.items()):
        rows.append(
            {
                "table": f"{dataset}.{table}",
                "rows": count,
                "pages": stats.pages.get(table, 0),
                "requests": stats.requests,
                "retries": stats.retries,
                "quota left": stats.quota_left(),
                "elapsed s": round(stats.elapsed, 2),
            }
        )
    return rows
