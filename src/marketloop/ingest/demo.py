"""The measure stage's demo step: GA4, Search Console and HubSpot sample data for the sample
site's pages, from local fakes, plus the latest crawl, into the workspace warehouse. Offline:
a throwaway service-account key is made for the fake token endpoint."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from marketloop.clikit import console, emit_rows, esc
from marketloop.config import Settings
from marketloop.errors import MarketloopError
from marketloop.fakes.common import DEFAULT_PATHS
from marketloop.fakes.ga4 import Ga4Fake
from marketloop.fakes.google_token import GoogleTokens
from marketloop.fakes.gsc import GscFake
from marketloop.fakes.hubspot import HubspotFake
from marketloop.fakes.hubspot_data import HubspotData
from marketloop.fakes.server import LocalServer
from marketloop.ingest import jobs
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

PROPERTY_ID = "314159265"
#: days of GA4 and Search Console history: two full 28-day windows (content_decay) and the lag
HISTORY_DAYS = 63
HUBSPOT_TOKEN = "pat-demo-00000000-0000-0000-0000-000000000000"  # noqa: S105 (the fake's only)


@dataclass(frozen=True)
class SiteSample:
    host: str
    site_url: str
    urls: list[str]

    @property
    def paths(self) -> list[str]:
        return [urlsplit(url).path or "/" for url in self.urls]


def site_sample(workspace: Workspace) -> SiteSample:
    """The latest crawl's HTML pages (its `html_pages` view), else an example site."""
    from marketloop.crawl.dataset import CrawlDataset

    try:
        dataset = CrawlDataset.open(workspace.latest_crawl())
        rows = dataset.query("SELECT url FROM html_pages ORDER BY depth NULLS LAST, url LIMIT 200")
    except MarketloopError:
        rows = []
    urls = [str(row["url"]) for row in rows]
    if not urls:
        urls = [f"https://www.example.com{path}" for path in DEFAULT_PATHS]
    parts = urlsplit(urls[0])
    return SiteSample(parts.netloc, f"{parts.scheme}://{parts.netloc}/", urls)


def _recent_crm(urls: list[str]) -> HubspotData:
    """A CRM modified recently enough for the data health report's freshness checks: one record
    an hour from ten days ago (the 200 contacts end ~2 days ago, companies and deals ~9 days)."""
    ten_days_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    return HubspotData(urls=urls, epoch=ten_days_ago, step=timedelta(hours=1))


def decaying(site: SiteSample) -> list[str]:
    """The page whose search traffic the demo's Search Console loses over the last month (the
    second most prominent: the home page rarely decays), so the loop has a page to refresh."""
    return site.urls[1:2]


@contextmanager
def fake_services(site: SiteSample, folder: Path) -> Iterator[dict[str, Any]]:
    """The four fakes on 127.0.0.1 and the settings that point at them."""
    tokens = GoogleTokens()
    with ExitStack() as stack:
        token_url = stack.enter_context(LocalServer(tokens.app())).url + "/token"
        key = tokens.create_service_account(folder / "service-account.json", token_uri=token_url)
        ga4 = Ga4Fake(tokens, {PROPERTY_ID: (site.host, site.paths)})
        gsc = GscFake(tokens, {site.site_url: site.urls}, decaying=frozenset(decaying(site)))
        hubspot = HubspotFake({HUBSPOT_TOKEN}, _recent_crm(site.urls))
        urls = [stack.enter_context(LocalServer(fake.app())).url for fake in (ga4, gsc, hubspot)]
        yield {
            "google": {"credentials_file": key},
            "ga4": {"base_url": urls[0], "initial_days": HISTORY_DAYS},
            "gsc": {"base_url": urls[1], "initial_days": HISTORY_DAYS},
            "hubspot": {"base_url": urls[2], "token": HUBSPOT_TOKEN},
        }


def _with(settings: Settings, sections: dict[str, dict[str, Any]]) -> Settings:
    """`settings` with some fields of some sections replaced (and validated)."""
    updates = {}
    for name, values in sections.items():
        section = getattr(settings, name)
        updates[name] = type(section).model_validate({**section.model_dump(), **values})
    return settings.model_copy(update=updates)


def ingest_step(run: DemoRun) -> None:
    site = site_sample(run.workspace)
    console.print(f"sample data for {len(site.urls)} pages of {site.site_url}")
    with tempfile.TemporaryDirectory() as tmp, fake_services(site, Path(tmp)) as sections:
        settings = _with(run.settings, sections)
        results = [
            jobs.ingest_ga4(settings, PROPERTY_ID, today=date.today()),
            jobs.ingest_gsc(settings, site.site_url, today=date.today()),
            jobs.ingest_hubspot(settings),
        ]
    try:
        results.append(jobs.ingest_crawl(settings))
    except MarketloopError as exc:
        console.print(f"[yellow]no crawl loaded:[/] {esc(exc.message)}")
    rows = [row for result in results for row in result.rows()]
    emit_rows(rows, "table", columns=["table", "rows", "pages", "retries"], title="warehouse")
    if settings.warehouse.destination == "duckdb":
        run.outputs["warehouse"] = settings.warehouse.duckdb_file(run.workspace)
