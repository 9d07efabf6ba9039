"""marketloop's dlt sources, for `marketloop ingest` and for any dlt pipeline of yours:

    import dlt
    from marketloop.ingest import sources

    pipeline = dlt.pipeline("marketing_ga4", destination="bigquery", dataset_name="ga4")
    pipeline.run(sources.ga4("123456789"))
    pipeline.run(sources.gsc("sc-domain:example.com").with_resources("search_analytics"))

    ga4(property_id, reports=())      one merge resource per report (default: pages,
                                      traffic_sources); cursor `date`
    gsc(site_url)                     search_analytics; cursor `date`
    hubspot(objects=())               contacts, companies, deals (+ link tables); cursor
                                      `hs_lastmodifieddate`

The cursors are `dlt.sources.incremental` in the pipeline's state, so they move only when a
load succeeds. They belong to a resource, not to a property or site: load each GA4 property or
Search Console site with its own pipeline (`marketloop ingest` does). Settings (base URL,
reports, lookback, page sizes, retries) come from marketloop's configuration (marketloop.toml,
MARKETLOOP_* variables) unless passed; Google credentials as in google_auth.py, the HubSpot
token from [hubspot] token. `stats` collects pages, requests and retries for a summary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import dlt

from marketloop.errors import IngestError
from marketloop.ingest.config import Ga4Settings, GscSettings, HubspotObject, HubspotSettings
from marketloop.ingest.cursors import date_cursor
from marketloop.ingest.http import ApiClient, Auth
from marketloop.ingest.stats import RunStats


@dlt.source(name="ga4", max_table_nesting=0)
def ga4(
    property_id: str,
    reports: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    settings: Ga4Settings | None = None,
    auth: Auth | None = None,
    stats: RunStats | None = None,
) -> Iterator[Any]:
    """GA4 Data API reports of one property (ga4.py); `start`/`end` read exactly those days."""
    from marketloop.ingest.ga4 import quota_wait, report_rows

    section = settings or _settings().ga4
    known = section.all_reports()
    names = list(reports) or list(known)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise IngestError(
            f"no GA4 report named {', '.join(unknown)}",
            hint=f"configured reports: {', '.join(known)} (add one under [ga4.reports.NAME])",
        )
    credential = auth or _google("ga4")
    counter = stats or RunStats("ga4")
    last = end or today or date.today()
    for name in names:
        client = ApiClient("GA4", section, auth=credential, stats=counter, quota_wait=quota_wait)
        resource = dlt.resource(
            report_rows,
            name=name,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=["property_id", "date"],
        )
        yield resource(
            client,
            property_id,
            name,
            known[name],
            section,
            first=start,
            last=last,
            cursor=_date_cursor(section, start, end, last),
        )


@dlt.source(name="gsc", max_table_nesting=0)
def gsc(
    site_url: str,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    settings: GscSettings | None = None,
    auth: Auth | None = None,
    stats: RunStats | None = None,
) -> Any:
    """Search Console performance of one site (gsc.py), by date, query, page, country and
    device; `start`/`end` read exactly those days."""
    from marketloop.ingest.gsc import TABLE, search_rows

    section = settings or _settings().gsc
    client = ApiClient(
        "Search Console", section, auth=auth or _google("gsc"), stats=stats or RunStats("gsc")
    )
    last = end or today or date.today()
    resource = dlt.resource(
        search_rows,
        name=TABLE,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key=["site_url", "search_type", "date"],
    )
    cursor = _date_cursor(section, start, end, last)
    return resource(client, site_url, section, first=start, last=last, cursor=cursor)


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot(
    objects: Sequence[HubspotObject] = (),
    full: bool = False,
    settings: HubspotSettings | None = None,
    auth: Auth | None = None,
    stats: RunStats | None = None,
) -> Iterator[Any]:
    """HubSpot CRM records (hubspot.py); `full` reads everything through the list endpoint."""
    from marketloop.ingest.hubspot import object_resources

    section = settings or _settings().hubspot
    credential = auth or hubspot_auth(section)
    yield from object_resources(
        section,
        list(objects) or list(section.objects),
        credential,
        stats or RunStats("hubspot"),
        full=full,
    )


def hubspot_auth(section: HubspotSettings) -> Auth:
    from marketloop.config import config_file, require_secret
    from marketloop.ingest.http import Credential, StaticToken

    token = require_secret(section.token, section="hubspot", field="token")
    origin = f"MARKETLOOP_HUBSPOT_TOKEN (or [hubspot] token in {config_file()})"
    return StaticToken(token, Credential("HubSpot private-app token", origin))


def _date_cursor(
    section: Ga4Settings | GscSettings, start: date | None, end: date | None, last: date
) -> Any:
    return date_cursor(
        today=last,
        start=start,
        end=end,
        lookback_days=section.lookback_days,
        initial_days=section.initial_days,
    )


def _settings() -> Any:
    from marketloop.config import load_settings

    return load_settings()


def _google(service: str) -> Auth:
    from marketloop.ingest.google_auth import google_auth

    return google_auth(_settings(), service)
