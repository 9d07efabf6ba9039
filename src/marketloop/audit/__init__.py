"""Diagnose, part two: checks over a crawl dataset, severities, crawl diff, export.

    from marketloop import audit
    issues = audit.run(CrawlDataset.open(folder), settings)  # also writes DIR/issues.parquet

Layout: `model` (checks, issues, tickets) · `registry` (the declared checks and the plan of
one audit) · `checks/` (one module per theme) · `views` (the DuckDB view of a dataset) ·
`engine` (running an audit) · `priority` · `tickets` · `store` (issues.parquet) · `report`
(HTML) · `diff` (crawl-diff) · `export` · `cli` · `demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marketloop.audit.engine import run

__all__ = ["run"]


def __getattr__(name: str) -> Any:
    # lazy, so that reading settings (which imports audit.config) does not load DuckDB
    if name == "run":
        from marketloop.audit.engine import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
