"""One function per `marketloop ingest` command: build the client and the dlt source, load it,
and say what happened. The CLI, the demo and the runner call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from marketloop.config import Settings, require_secret
from marketloop.errors import ConfigError
from marketloop.ingest import pipeline
from marketloop.ingest.config import HubspotObject
from marketloop.ingest.http import ApiClient, Credential, StaticToken
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
    from marketloop.ingest.ga4 import ga4_source, quota_wait
    from marketloop.ingest.google_auth import google_auth

    chosen = property_id or settings.ga4.property_id
    if not chosen:
        raise ConfigError(
            "no GA4 property given", hint="pass --property ID or set [ga4] property_id"
        )
    stats = RunStats("ga4", listener=listener)
    names = list(reports) or list(settings.ga4.all_reports())
    auth = google_auth(settings, "ga4")
    with ApiClient("GA4", settings.ga4, auth=auth, stats=stats, quota_wait=quota_wait) as client:
        source = ga4_source(
            client, settings.ga4, chosen, names, today=today or date.today(), start=start, end=end
        )
        loaded = pipeline.load(settings, "ga4", source)
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
    from marketloop.ingest.google_auth import google_auth
    from marketloop.ingest.gsc import gsc_source

    chosen = site or settings.gsc.site
    if not chosen:
        raise ConfigError("no Search Console site given", hint="pass --site or set [gsc] site")
    stats = RunStats("gsc", listener=listener)
    with ApiClient(
        "Search Console", settings.gsc, auth=google_auth(settings, "gsc"), stats=stats
    ) as client:
        source = gsc_source(
            client, settings.gsc, chosen, today=today or date.today(), start=start, end=end
        )
        loaded = pipeline.load(settings, "gsc", source)
    return IngestResult("gsc", loaded, stats)


def hubspot_auth(settings: Settings) -> StaticToken:
    token = require_secret(settings.hubspot.token, section="hubspot", field="token")
    origin = "MARKETLOOP_HUBSPOT_TOKEN (or [hubspot] token in marketloop.toml)"
    return StaticToken(token, Credential("HubSpot private-app token", origin))


def ingest_hubspot(
    settings: Settings,
    objects: Sequence[HubspotObject] = (),
    *,
    full: bool = False,
    listener: PageListener | None = None,
) -> IngestResult:
    from marketloop.ingest.hubspot import hubspot_source
    from marketloop.ingest.pacing import RateLimitObserver

    stats = RunStats("hubspot", listener=listener)
    chosen = list(objects) or list(settings.hubspot.objects)
    limits = RateLimitObserver()
    auth = hubspot_auth(settings)
    with ApiClient("HubSpot", settings.hubspot, auth=auth, stats=stats, observe=limits) as client:
        source = hubspot_source(client, settings.hubspot, chosen, limits, full=full)
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
