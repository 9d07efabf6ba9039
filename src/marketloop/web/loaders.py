"""Read what the pages show, through the stages' own readers; each answers "nothing yet"
(None or []) instead of failing, so a page can say what to do next."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from marketloop.config import Settings
from marketloop.errors import MarketloopError
from marketloop.workspace import Workspace

SEVERITIES = ("critical", "warning", "notice")


def crawl_folders(settings: Settings) -> list[Path]:
    """Crawls of the workspace, newest first."""
    return list(reversed(Workspace(settings.workspace).crawl_dirs()))


def issue_counts(folder: Path) -> list[dict[str, Any]]:
    """(severity, check, pages) of a crawl's stored audit, by DuckDB over issues.parquet."""
    import duckdb

    path = folder / "issues.parquet"
    if not path.is_file():
        return []
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(
            'SELECT severity, "check", count(*) FROM read_parquet(?) GROUP BY ALL '
            "ORDER BY 3 DESC, 2",
            [str(path)],
        ).fetchall()
    finally:
        con.close()
    return [{"severity": s, "check": c, "pages": n} for s, c, n in rows]


def by_severity(counts: list[dict[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(SEVERITIES, 0)
    for row in counts:
        totals[row["severity"]] = totals.get(row["severity"], 0) + row["pages"]
    return totals


def plan_status(settings: Settings, engine: Engine) -> dict[str, Any] | None:
    from marketloop.api.routes.plan import open_tracker
    from marketloop.clikit import to_jsonable
    from marketloop.plan.views import status_dict

    try:
        tracker = open_tracker(settings, engine)
        return dict(to_jsonable(status_dict(tracker.view(datetime.now(UTC)))))
    except MarketloopError:
        return None


def briefs(settings: Settings, engine: Engine) -> list[dict[str, Any]]:
    """Every brief with its title, whether it has a draft, and its latest review."""
    from marketloop.api.routes.briefs import SLUG
    from marketloop.content.folder import BriefFolder
    from marketloop.content.tune import reviews

    folder = BriefFolder(Workspace(settings.workspace).root / "briefs")
    if not folder.root.is_dir():
        return []
    decided = reviews.latest(engine)
    rows = []
    for path in sorted(folder.root.glob("*.json")):
        slug = path.stem
        if not SLUG.match(slug):
            continue
        head = _brief_head(folder.root, slug, _stamp(path))
        if head is not None:
            rows.append({**head, "has_draft": folder.has_draft(slug),
                         "review": decided.get(slug)})  # fmt: skip
    return rows


def _stamp(path: Path) -> tuple[float, int]:
    stat = path.stat()
    return stat.st_mtime, stat.st_size


@lru_cache(maxsize=4096)
def _brief_head(root: Path, slug: str, stamp: tuple[float, int]) -> dict[str, Any] | None:
    """A brief's title and cluster, parsed once per version of its file (`stamp`)."""
    from marketloop.content.folder import BriefFolder

    brief = BriefFolder(root).existing_brief(slug)
    if brief is None:
        return None
    return {"slug": slug, "title": brief.title_options[0], "cluster": brief.cluster}


def clusters(settings: Settings) -> list[Any] | None:
    """The workspace's keyword clusters (None: no clusters.json), parsed once per version."""
    from marketloop.content.inputs import CLUSTERS_FILES

    workspace = Workspace(settings.workspace)
    paths = [workspace.root / name for name in CLUSTERS_FILES]
    return _clusters(workspace, tuple(_stamp(p) if p.is_file() else None for p in paths))


@lru_cache(maxsize=4)
def _clusters(workspace: Workspace, stamps: tuple[Any, ...]) -> list[Any] | None:
    from marketloop.content.inputs import workspace_clusters

    return workspace_clusters(workspace)
