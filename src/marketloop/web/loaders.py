"""Read what the pages show, through the stages' own readers; each answers "nothing yet"
(None or []) instead of failing, so a page can say what to do next."""

from __future__ import annotations

import gc
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine

from marketloop.config import Settings
from marketloop.errors import MarketloopError
from marketloop.workspace import Workspace

SEVERITIES = ("critical", "warning", "notice")
T = TypeVar("T")


def _kept(value: T) -> T:
    """A cache's new value, set aside from the cyclic garbage collector: the parsed tickets and
    clusters of a large site are millions of long-lived objects, and a full collection that
    walks them all stalls whichever request triggers it (0.2-0.5 s at 100,000 keywords, in
    `bench web`). Collect once now, while the cache is being filled anyway, then freeze what
    is alive; values dropped later are still freed by reference counting."""
    gc.collect()
    gc.freeze()
    return value


def crawl_folders(settings: Settings) -> list[Path]:
    """Crawls of the workspace, newest first."""
    return list(reversed(Workspace(settings.workspace).crawl_dirs()))


def issue_counts(folder: Path) -> list[dict[str, Any]]:
    """(severity, check, pages) of a crawl's stored audit, by DuckDB over issues.parquet;
    read once per version of the file (a re-audit replaces it, so its stamp changes)."""
    path = folder / "issues.parquet"
    if not path.is_file():
        return []
    return _issue_counts(path, _stamp(path))


@lru_cache(maxsize=8)
def _issue_counts(path: Path, stamp: tuple[float, int]) -> list[dict[str, Any]]:
    import duckdb

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


def audit_tickets(folder: Path) -> list[Any] | None:
    """The tickets of a crawl's stored audit (None: no audit), by link-graph impact as the
    audit stored it; built once per version of issues.parquet."""
    path = folder / "issues.parquet"
    if not path.is_file():
        return None
    return _tickets(folder, _stamp(path))


@lru_cache(maxsize=4)
def _tickets(folder: Path, stamp: tuple[float, int]) -> list[Any] | None:
    from marketloop.audit.engine import stored_tickets
    from marketloop.audit.registry import REGISTRY, all_checks
    from marketloop.audit.store import read_issue_table

    stored = read_issue_table(folder)
    if stored is None:
        return None
    all_checks()
    return _kept(stored_tickets(stored, REGISTRY))


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
    """Every brief with its title, whether it has a draft, and its latest review (the folder
    is listed once: one stat per file, no lookups per brief)."""
    import os

    from marketloop.api.routes.briefs import SLUG
    from marketloop.content.tune import reviews

    root = Workspace(settings.workspace).root / "briefs"
    if not root.is_dir():
        return []
    found: dict[str, tuple[float, int]] = {}
    drafts: set[str] = set()
    with os.scandir(root) as entries:
        for entry in entries:
            stem, _, kind = entry.name.rpartition(".")
            if kind not in {"json", "md"} or not SLUG.match(stem) or not entry.is_file():
                continue
            stat = entry.stat()
            if kind == "json":
                found[stem] = (stat.st_mtime, stat.st_size)
            elif stat.st_size > 0:  # as BriefFolder.has_draft
                drafts.add(stem)
    decided = reviews.latest(engine)
    rows = []
    for slug in sorted(found):
        head = _brief_head(root, slug, found[slug])
        if head is not None:
            rows.append({**head, "has_draft": slug in drafts, "review": decided.get(slug)})
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
    return _clusters(*_cluster_files(settings))


def cluster_facets(settings: Settings) -> tuple[list[str], list[str]]:
    """The coverage statuses and intents the clusters have (the filters' choices), once per
    version of the clusters file."""
    return _facets(*_cluster_files(settings))


def _cluster_files(settings: Settings) -> tuple[Workspace, tuple[Any, ...]]:
    from marketloop.content.inputs import CLUSTERS_FILES

    workspace = Workspace(settings.workspace)
    paths = [workspace.root / name for name in CLUSTERS_FILES]
    return workspace, tuple(_stamp(p) if p.is_file() else None for p in paths)


@lru_cache(maxsize=4)
def _facets(workspace: Workspace, stamps: tuple[Any, ...]) -> tuple[list[str], list[str]]:
    found = _clusters(workspace, stamps) or []
    return sorted({c.status for c in found}), sorted({c.intent for c in found})


@lru_cache(maxsize=4)
def _clusters(workspace: Workspace, stamps: tuple[Any, ...]) -> list[Any] | None:
    from marketloop.content.inputs import workspace_clusters

    return _kept(workspace_clusters(workspace))


def tracker_links(settings: Settings, engine: Engine, folder: Path) -> dict[str, dict[str, Any]]:
    """Check → its Jira issue from the last `tickets sync` of this crawl's site (key, link,
    state, when): the app database's mapping, read only; empty when Jira is not set up."""
    import sqlalchemy as sa

    from marketloop.crawl.dataset import Manifest
    from marketloop.integrations.jira_records import JiraTicketRow

    base, project = settings.jira.url, settings.jira.project
    if not base or not project:
        return {}
    try:
        site = urlsplit(Manifest.read(folder).start_url).hostname or "site"
    except MarketloopError:
        return {}
    query = sa.select(JiraTicketRow).where(JiraTicketRow.project == project,
                                           JiraTicketRow.site == site)  # fmt: skip
    try:
        with engine.connect() as con:
            rows = con.execute(query).all()
    except sa.exc.SQLAlchemyError:  # the integrations tables are not migrated here
        return {}
    return {
        r.check: {
            "key": r.issue_key,
            "url": f"{base}/browse/{quote(r.issue_key)}",
            "state": r.state,
            "synced": r.updated_at,
            "urls": r.count,
        }
        for r in rows
    }


def llm_spend(settings: Settings, engine: Engine, now: datetime) -> dict[str, Any]:
    """LLM spend since the first of `now`'s month (UTC) from the ledger, against
    `[observe] llm_monthly_budget_usd`; the models called without a known price."""
    from marketloop.content.llm.ledger import stored_totals

    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = stored_totals(engine, since=start)
    spent = round(sum(float(r["cost_usd"]) for r in rows), 2)
    budget = settings.observe.llm_monthly_budget_usd
    return {
        "since": start, "spent": spent, "budget": budget, "calls": sum(r["calls"] for r in rows),
        "share": spent / budget if budget else None, "over": budget is not None and spent > budget,
        "unpriced": sorted(r["model"] for r in rows
                           if r["calls"] and settings.llm.price_of(r["model"]) is None),
    }  # fmt: skip


def freshness(settings: Settings, engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """Each source's newest load (what `marketloop_source_freshness_seconds` reports) with its
    age, judged against `[quality.freshness.SOURCE]` load_warn_hours / load_error_hours."""
    from sqlalchemy.orm import Session

    from marketloop.observe.facts import newest_loads
    from marketloop.quality.results import age_text

    with Session(engine) as session:
        loads = newest_loads(session)
    rows = []
    for source, when in loads.items():
        hours = max((now - when).total_seconds(), 0.0) / 3600
        limits = settings.quality.freshness.get(source)
        status = "unknown"
        if limits is not None:
            status = ("error" if hours >= limits.load_error_hours
                      else "warn" if hours >= limits.load_warn_hours else "ok")  # fmt: skip
        rows.append({"source": source, "loaded": when, "age": age_text(hours), "status": status})
    return rows


#: what `eval decide` names its records (content/evals/decision_record.py)
DECISION = re.compile(r"^decision-[A-Za-z0-9_-]{1,60}-\d{8}T\d{6}Z\.(html|md)$")


def decisions(settings: Settings) -> list[str]:
    """The HTML decision records of `eval decide` in WORKSPACE/reports/decisions, newest first."""
    folder = Workspace(settings.workspace).reports_dir / "decisions"
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.glob("decision-*.html") if DECISION.match(p.name)]
    return sorted(found, key=lambda name: (name[-21:], name), reverse=True)


def latest_decision(settings: Settings) -> str | None:
    found = decisions(settings)
    return found[0] if found else None


def decision_path(settings: Settings, name: str) -> Path | None:
    """The record file `name` names (HTML or Markdown), never a path outside its folder."""
    folder = Workspace(settings.workspace).reports_dir / "decisions"
    path = folder / name
    if not DECISION.match(name) or not path.is_file():
        return None
    return path
