"""One function per `marketloop ingest` command: build the client and the dlt source, load it,
and say what happened. The CLI, the demo and the runner call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from marketloop.config import Settings
from marketloop.errors import ConfigError
from marketloop.ingest import pipeline
from marketloop.ingest.config import HubspotObject
from marketloop.ingest.stats import PageListener, RunStats, summary_rows


@dataclass(frozen=True)
class IngestResult:
    dataset: str
    loaded: dict[str, int]  # rows per table
    stats: RunStats
    notes: tuple[str, ...] = ()

    def rows(self) -> list[dict[str, Any]]:
        return summary_rows(self.dataset, self.loaded, self.stats)


def ingest_ga4(
    settings: Settings,
    property_id: str | None = None,
    reports: Sequence[str] = (),
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    listener: PageListener | None = None,
) -> IngestResult:
    from marketloop.ingest import sources
    from marketloop.ingest.google_auth import google_auth

    chosen = property_id or settings.ga4.property_id
    if not chosen:
        raise ConfigError(
            "no GA4 property given", hint="pass --property ID or set [ga4] property_id"
        )
    stats = RunStats("ga4", listener=listener)
    source = sources.ga4(
        chosen,
        reports,
        start=start,
        end=end,
        today=today or date.today(),
        settings=settings.ga4,
        auth=google_auth(settings, "ga4"),
        stats=stats,
    )
    loaded = pipeline.load(settings, "ga4", source, cursor_key=chosen)
    return IngestResult("ga4", loaded, stats)


def ingest_gsc(
    settings: Settings,
    site: str | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    listener: PageListener | None = None,
) -> IngestResult:
    from marketloop.ingest import sources
    from marketloop.ingest.google_auth import google_auth

    chosen = site or settings.gsc.site
    if not chosen:
        raise ConfigError("no Search Console site given", hint="pass --site or set [gsc] site")
    stats = RunStats("gsc", listener=listener)
    source = sources.gsc(
        chosen,
        start=start,
        end=end,
        today=today or date.today(),
        settings=settings.gsc,
        auth=google_auth(settings, "gsc"),
        stats=stats,
    )
    loaded = pipeline.load(
        settings, "gsc", source, cursor_key=f"{chosen}|{settings.gsc.search_type}"
    )
    return IngestResult("gsc", loaded, stats)


def ingest_hubspot(
    settings: Settings,
    objects: Sequence[HubspotObject] = (),
    *,
    full: bool = False,
    listener: PageListener | None = None,
) -> IngestResult:
    from marketloop.ingest import sources

    stats = RunStats("hubspot", listener=listener)
    source = sources.hubspot(objects, full=full, settings=settings.hubspot, stats=stats)
    loaded = pipeline.load(settings, "hubspot", source)
    return IngestResult("hubspot", loaded, stats)


def ingest_file(
    settings: Settings, path: Path, table: str, *, listener: PageListener | None = None
) -> IngestResult:
    from marketloop.ingest.files import file_source

    stats = RunStats("files", listener=listener)
    source = file_source(path, table, stats)
    # the file defines the table: columns of an older file go, a column may change its type
    name = source.name
    loaded = pipeline.load(settings, "files", source, refresh="drop_resources", keep=name)
    return IngestResult("files", loaded, stats)


def ingest_crawl(
    settings: Settings, folder: Path | None = None, *, listener: PageListener | None = None
) -> IngestResult:
    from marketloop.ingest.crawl_load import crawl_source
    from marketloop.workspace import Workspace

    chosen = folder or Workspace(settings.workspace).latest_crawl()
    stats = RunStats("crawl", listener=listener)
    source, notes = crawl_source(chosen, stats)
    loaded = pipeline.load(settings, "crawl", source)
    return IngestResult("crawl", loaded, stats, notes)
