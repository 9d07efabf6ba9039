"""Reading what the brief writer works from: clusters (the keyword stage's JSON) and the
site's pages (a crawl dataset). SERP snapshots are read by the keyword stage's reader
(`keywords.reader.read_serps`: the same columns, aliases, encodings and keyword normalisation
as `keywords cluster --serp`).

Every reader fails with a message that names the file, the row or item, and what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from marketloop.content.site import SitePage, load_pages
from marketloop.errors import ContentError, CrawlDatasetError
from marketloop.keywords.model import Cluster
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    from marketloop.config import Settings
    from marketloop.content.offline import BriefContext
    from marketloop.quality.outcomes import DecayingPage

CLUSTERS_FILES = ("clusters.json", "reports/clusters.json")


def read_clusters(path: Path) -> list[Cluster]:
    """A JSON list of clusters (or `{"clusters": [...]}`), as `keywords cluster` prints it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ContentError(f"cannot read clusters file {path}: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:
        why = exc if isinstance(exc, ValueError) else "nested too deeply"
        raise ContentError(
            f"{path} is not valid JSON: {why}",
            hint="write it with `marketloop keywords cluster FILE --format json > clusters.json`",
        ) from None
    items = data.get("clusters") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ContentError(f"{path} must hold a JSON list of clusters")
    clusters = []
    for i, item in enumerate(items, 1):
        try:
            clusters.append(Cluster.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ContentError(
                f"{path}: cluster {i}: {where}: {first['msg']}",
                hint="each cluster needs at least `cluster` and `keywords`",
            ) from None
    return clusters


def select_clusters(spec: str | None, workspace: Workspace) -> list[Cluster]:
    """`--clusters`: a file, or comma-separated names looked up in the workspace's clusters
    file (names it does not hold become one-keyword clusters)."""
    if spec and _is_file(spec):
        return read_clusters(Path(spec))
    known = workspace_clusters(workspace)
    if not spec:
        if known is None:
            raise ContentError(
                "no clusters to write briefs for",
                hint="pass --clusters FILE (from `marketloop keywords cluster --format json`) "
                "or --clusters 'name one,name two'",
            )
        return known
    by_name = {c.cluster.lower(): c for c in known or []}
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise ContentError(f"--clusters {spec!r} names no cluster")
    return [by_name.get(n.lower()) or Cluster(cluster=n, keywords=[n]) for n in names]


def site_pages(crawl: Path | None, workspace: Workspace) -> tuple[list[SitePage], Path | None]:
    """Pages of `--crawl DIR`, else of the workspace's latest crawl, else none."""
    if crawl is None:
        found = workspace.crawl_dirs()
        if not found:
            return [], None
        crawl = found[-1]
    try:
        return load_pages(crawl), crawl
    except CrawlDatasetError:
        raise
    except Exception as exc:  # duckdb/pyarrow errors on damaged part files
        raise CrawlDatasetError(
            f"cannot read the pages of crawl dataset {crawl}: {exc}",
            hint="pass another --crawl DIR, or re-run the crawl",
        ) from None


@dataclass
class BriefInputs:
    """What `briefs generate` and the `briefs.generate` action write from (`brief_inputs`)."""

    clusters: list[Cluster]
    context: BriefContext
    crawl: Path | None  # the crawl dataset the pages came from
    refreshed: list[DecayingPage] = field(default_factory=list)  # update briefs added


def brief_inputs(
    settings: Settings,
    workspace: Workspace,
    clusters: str | None,
    *,
    crawl: Path | None = None,
    serp: Path | None = None,
    decaying: bool = True,
) -> BriefInputs:
    """The clusters (plus, with `decaying`, an update cluster per decaying page that no
    cluster serves), the site's pages and the SERP snapshots: the one way both the CLI and the
    runner gather them."""
    from marketloop.content.offline import BriefContext
    from marketloop.content.refresh import add_decaying
    from marketloop.keywords.reader import read_serps

    chosen = select_clusters(clusters, workspace)
    refreshed: list[DecayingPage] = []
    if decaying:
        chosen, refreshed = add_decaying(settings, chosen)
    pages, crawl_dir = site_pages(crawl, workspace)
    context = BriefContext(
        clusters=chosen,
        pages=pages,
        serp=read_serps(serp, settings.keywords.top_n)[0] if serp else {},
        max_internal_links=settings.content.max_internal_links,
        max_link_from=settings.content.max_link_from,
    )
    return BriefInputs(chosen, context, crawl_dir, refreshed)


def _is_file(spec: str) -> bool:
    try:
        return Path(spec).is_file()
    except OSError:  # a list of names longer than a file name can be
        return False


def workspace_clusters(workspace: Workspace) -> list[Cluster] | None:
    for name in CLUSTERS_FILES:
        path = workspace.root / name
        if path.is_file():
            return read_clusters(path)
    return None
