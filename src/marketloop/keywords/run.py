"""The I/O edge shared by the CLI and the demo: read the inputs, cluster, map to the site.

Keywords come from a file, or from Search Console queries in the warehouse when no file is
given; the site is the warehouse's Search Console pages, the keyword file's URLs and a crawl
dataset (the one given, else the workspace's latest), whichever are there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketloop.clikit import rows_to_csv
from marketloop.config import Settings
from marketloop.errors import KeywordsError, WorkspaceError
from marketloop.keywords.intent import IntentClassifier, RuleClassifier
from marketloop.keywords.mapping import Coverage, PageText, crawl_pages, map_clusters
from marketloop.keywords.model import Cluster, KeywordRecord
from marketloop.keywords.reader import normalise, read_keywords, read_serps
from marketloop.keywords.search_console import SearchData, read_search_console, warehouse_target
from marketloop.quality.warehouse import READABLE
from marketloop.workspace import Workspace, write_atomic

if TYPE_CHECKING:
    from marketloop.keywords.pipeline import OnProgress

TABLE_COLUMNS = ["cluster", "size", "volume", "intent", "opportunity", "status", "page"]
GAP_COLUMNS = ["cluster", "status", "volume", "intent", "opportunity", "source", "pages"]


@dataclass
class KeywordRun:
    clusters: list[Cluster]
    coverage: list[Coverage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_clustering(
    settings: Settings,
    file: Path | None,
    *,
    serp_file: Path | None = None,
    crawl: Path | None = None,
    need_site: bool = False,
    classifier: IntentClassifier | None = None,
    on_progress: OnProgress | None = None,
) -> KeywordRun:
    workspace = Workspace(settings.workspace)
    classifier = classifier or intent_classifier(settings)  # before any work: config errors
    notes: list[str] = []
    search, where = _search_console(settings, notes)
    records = _records(file, search, where, notes)
    serps = None
    if serp_file is not None:
        serps, report = read_serps(serp_file, settings.keywords.top_n)
        notes += report.notes()
        missing = sum(1 for r in records if normalise(r.keyword) not in serps)
        if missing:
            notes.append(f"{missing} keyword(s) have no SERP snapshot and stay on their own")
    from marketloop.keywords.pipeline import cluster_keywords  # scikit-learn: only when used

    clusters = cluster_keywords(
        records, settings.keywords, serps=serps, classifier=classifier, on_progress=on_progress
    )
    notes += classifier_notes(classifier)
    pages = _crawl_pages(crawl, workspace, notes)
    if need_site and search is None and pages is None and not any(r.url for r in records):
        raise KeywordsError(
            "nothing to compare the clusters with: no Search Console data, no crawl, "
            "no url column in the keyword file",
            hint="run `marketloop crawl URL` (or pass --crawl DIR), or `marketloop ingest gsc`",
        )
    coverage = map_clusters(
        clusters,
        search=search,
        pages=pages,
        share=settings.keywords.cannibalisation_share,
        title_match=settings.keywords.title_match,
    )
    return KeywordRun(clusters, coverage, notes)


def intent_classifier(settings: Settings) -> IntentClassifier:
    """The classifier `[keywords] intent` names; `llm` stops here when no LLM is configured."""
    if settings.keywords.intent == "llm":
        from marketloop.keywords.llm_intent import LlmIntentClassifier  # the openai SDK

        return LlmIntentClassifier(settings)
    return RuleClassifier(settings.keywords.brand_terms)


def classifier_notes(classifier: IntentClassifier) -> list[str]:
    """What a classifier says about its run, if it says anything (the LLM one: cost, fallbacks)."""
    notes = getattr(classifier, "notes", None)
    return list(notes()) if callable(notes) else []


def intent_requests(
    settings: Settings, file: Path, serp_file: Path | None = None
) -> list[dict[str, Any]]:
    """`--show-prompt`: the requests `intent llm` would send for the file, nothing sent."""
    from marketloop.keywords.intent_request import intent_batches

    records, _ = read_keywords(file)
    serps = read_serps(serp_file, settings.keywords.top_n)[0] if serp_file else None
    batches = intent_batches(settings, [r.keyword for r in records], serps)
    return [{"batch": b.request.label, "request": b.request.body()} for b in batches]


def cluster_rows(clusters: list[Cluster]) -> list[dict[str, object]]:
    return [
        {
            "cluster": c.cluster,
            "size": len(c.keywords),
            "volume": c.volume,
            "intent": c.intent,
            "intent_confidence": c.intent_confidence,
            "opportunity": c.opportunity,
            "status": c.status,
            "page": c.page,
            "keywords": c.keywords,
        }
        for c in clusters
    ]


def gap_rows(run: KeywordRun, *, show_all: bool = False) -> list[dict[str, Any]]:
    rows = []
    for cluster, found in zip(run.clusters, run.coverage, strict=True):
        if cluster.status == "covered" and not show_all and not _candidates(found):
            continue
        rows.append(
            {
                "cluster": cluster.cluster,
                "status": cluster.status,
                "volume": cluster.volume,
                "intent": cluster.intent,
                "opportunity": cluster.opportunity,
                "source": found.source,
                "pages": [_page_label(url, share, found.source) for url, share in found.pages],
            }
        )
    return rows


def _candidates(found: Coverage) -> bool:
    """Several crawl pages match the cluster's words: worth a look, not proof of cannibalisation."""
    return found.source == "crawl" and len(found.pages) >= 2


def _page_label(url: str, share: float, source: str) -> str:
    what = {"crawl": "title match", "keyword file": "of volume"}.get(source, "of impressions")
    return f"{url} ({share:.0%} {what})"


def write_clusters(clusters: list[Cluster], path: Path) -> None:
    """JSON list of clusters (CSV rows when the name ends in .csv), written atomically."""
    if path.suffix.lower() == ".csv":
        text = rows_to_csv(cluster_rows(clusters), [*TABLE_COLUMNS, "keywords"])
    else:
        text = "[\n" + ",\n".join(c.model_dump_json(indent=2) for c in clusters) + "\n]\n"
    write_atomic(path, text)


def _search_console(settings: Settings, notes: list[str]) -> tuple[SearchData | None, str]:
    """Search Console data from the warehouse, if any, and where it was looked for."""
    target = warehouse_target(settings)
    if target is None:
        destination = settings.warehouse.destination
        notes.append(
            f"Search Console data not read: keywords reads a {' or '.join(READABLE)} warehouse, "
            f"and [warehouse] destination is {destination}"
        )
        return None, f"the {destination} warehouse (not readable here yet)"
    search = read_search_console(target)
    if search is None:
        notes.append(
            f"no Search Console data in {target.display} "
            "(`marketloop ingest gsc` adds positions and page impressions)"
        )
    return search, target.display


def _records(
    file: Path | None, search: SearchData | None, where: str, notes: list[str]
) -> list[KeywordRecord]:
    if file is not None:
        records, report = read_keywords(file)
        notes += report.notes()
        return with_positions(records, search, notes)
    if search is None or not search.queries:
        raise KeywordsError(
            f"no keyword file given and no Search Console queries in {where}",
            hint="pass a keyword CSV, or run `marketloop ingest gsc` first",
        )
    notes.append(f"using {len(search.queries)} Search Console queries (impressions as volume)")
    return search.as_keywords()


def with_positions(
    records: list[KeywordRecord], search: SearchData | None, notes: list[str]
) -> list[KeywordRecord]:
    """Fill a missing current position from Search Console (the site's average position)."""
    if search is None:
        return records
    out, filled = [], 0
    for record in records:
        stats = search.queries.get(normalise(record.keyword))
        if record.position is None and stats is not None and stats.impressions > 0:
            out.append(record.model_copy(update={"position": round(stats.position, 1)}))
            filled += 1
        else:
            out.append(record)
    if filled:
        notes.append(f"took the current position of {filled} keyword(s) from Search Console")
    return out


def _crawl_pages(
    crawl: Path | None, workspace: Workspace, notes: list[str]
) -> list[PageText] | None:
    if crawl is None:
        try:
            crawl = workspace.latest_crawl()
        except WorkspaceError:
            notes.append(f"no crawl dataset in {workspace.crawls_dir}; titles not matched")
            return None
    pages = crawl_pages(crawl)
    notes.append(f"matched titles and H1s of {len(pages)} pages in {crawl}")
    return pages
