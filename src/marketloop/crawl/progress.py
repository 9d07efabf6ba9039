"""Running figures of a crawl, for the progress bar and the closing summary."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from marketloop.observe.metrics import CRAWL_PAGES


@dataclass
class CrawlStats:
    done: int = 0  # URLs with a stored row, this run and earlier runs (resume)
    queued: int = 0
    errors: int = 0
    pages: int = 0  # HTML pages parsed this run
    this_run: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def count(self, row: dict[str, Any]) -> None:
        self.done += 1
        self.this_run += 1
        if row.get("error"):
            self.errors += 1
        if row.get("titles") is not None or row.get("parse_error"):
            self.pages += 1
            CRAWL_PAGES.inc()
        self.statuses[status_class(row)] += 1

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def rate(self) -> float:
        """URLs per second in this run."""
        return self.this_run / self.elapsed


def status_class(row: dict[str, Any]) -> str:
    """`2xx` … `5xx`, `blocked` (robots.txt) or `no response`."""
    if row.get("blocked_by_robots"):
        return "blocked"
    status = row.get("status")
    if status is None:
        return "no response"
    return f"{status // 100}xx"
