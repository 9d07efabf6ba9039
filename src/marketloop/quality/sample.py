"""Sample warehouse data of the contract's shape, loaded with dlt exactly as `marketloop ingest`
loads it (so `_dlt_loads` and `_dlt_load_id` exist): the demo's fallback when nothing has been
ingested yet, and the tests' fixture loader.

    load(target, "ga4", {"pages": rows}, pipelines_dir=workspace.root / "dlt")
    for dataset, tables in demo_data(date.today()).items(): load(target, dataset, tables, ...)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from marketloop.quality.contract import CONTRACT
from marketloop.quality.warehouse import Target

Rows = Sequence[Mapping[str, Any]]
Disposition = Literal["merge", "append", "replace"]

SAMPLE_SITE = "https://www.example.com"
SAMPLE_PATHS = (
    "/",
    "/pricing",
    "/features/reporting",
    "/features/automation",
    "/blog/seo-audit-checklist",
    "/blog/ga4-migration-guide",
    "/blog/content-calendar-template",
    "/customers",
    "/about",
    "/contact",
)


def load(
    target: Target,
    dataset: str,
    tables: Mapping[str, Rows],
    *,
    pipelines_dir: Path,
    disposition: Disposition | None = None,
    schema: str | None = None,
) -> None:
    """Load rows into `dataset` in one dlt load, typed and keyed by the contract.

    Default disposition: merge on the contract key (replace for the crawl, as ingest does);
    `append` writes rows as given, e.g. to plant duplicates in a test. `schema`: load into
    another dataset name than the contract's (a team's own naming).
    """
    import dlt

    specs = CONTRACT.get(dataset, {})
    resources = []
    for name, rows in tables.items():
        spec = specs.get(name)
        chosen = disposition or ("replace" if dataset == "crawl" or not spec else "merge")
        hints: dict[str, Any] = {"write_disposition": chosen}
        if spec:
            hints["columns"] = {
                column: {"data_type": kind, "nullable": True}
                for column, kind in spec.columns.items()
            }
            if spec.key and chosen == "merge":
                hints["primary_key"] = list(spec.key)
        resources.append(dlt.resource(list(rows), name=name, **hints))
    pipeline = dlt.pipeline(
        pipeline_name=f"marketloop_sample_{schema or dataset}",
        destination=target.dlt_destination(),
        dataset_name=schema or dataset,
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run(resources)


def demo_data(
    today: date, *, site: str = SAMPLE_SITE, paths: Sequence[str] = SAMPLE_PATHS, days: int = 28
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """A month of plausible, deterministic data for a small marketing site."""
    rng = random.Random(7)  # noqa: S311 - sample data, not secrets
    host = urlsplit(site).hostname or "www.example.com"
    weights = {path: 1 / (rank + 1) for rank, path in enumerate(paths)}
    ga4_days = [today - timedelta(days=d) for d in range(days, 0, -1)]
    gsc_days = ga4_days[:-2]  # Search Console lags two days
    pages, search = [], []
    for day in ga4_days:
        weekday = 0.6 if day.weekday() >= 5 else 1.0
        for path, weight in weights.items():
            sessions = max(1, round(400 * weight * weekday * rng.uniform(0.8, 1.2)))
            key_events = round(sessions * rng.uniform(0.01, 0.05))
            pages.append(
                {
                    "property_id": "properties/123456",
                    "date": day,
                    "host_name": host,
                    "page_path": path,
                    "sessions": sessions,
                    "active_users": round(sessions * 0.85),
                    "screen_page_views": round(sessions * 1.4),
                    "key_events": float(key_events),
                    "engagement_rate": round(rng.uniform(0.4, 0.8), 3),
                    "total_revenue": round(key_events * rng.choice([0, 49.0, 99.0]), 2),
                    "is_other_row": False,
                    "thresholding_applied": False,
                }
            )
            if day in gsc_days:
                fresh = day >= today - timedelta(days=4)  # data_state "all", not yet final
                search.extend(_search_rows(rng, site, path, day, weight, fresh))
    return {
        "ga4": {"pages": pages, "traffic_sources": _traffic(rng, ga4_days)},
        "gsc": {"search_analytics": search},
        "hubspot": _crm(rng, site, paths, today),
        "crawl": _crawl(site, paths, today),
    }


def _search_rows(
    rng: random.Random, site: str, path: str, day: date, weight: float, fresh: bool
) -> list[dict[str, Any]]:
    words = [w for w in path.replace("-", " ").replace("/", " ").split() if w] or ["marketloop"]
    rows = []
    for query in (" ".join(words), f"{words[-1]} software"):
        for country, device in (("usa", "DESKTOP"), ("gbr", "MOBILE"), ("deu", "DESKTOP")):
            impressions = max(1, round(300 * weight * rng.uniform(0.5, 1.5)))
            clicks = round(impressions * rng.uniform(0.01, 0.12))
            rows.append(
                {
                    "site_url": site + "/",
                    "search_type": "web",
                    "date": day,
                    "query": query,
                    "page": site + path,
                    "country": country,
                    "device": device,
                    "clicks": clicks,
                    "impressions": impressions,
                    "ctr": clicks / impressions,
                    "position": round(rng.uniform(1.0, 25.0), 1),
                    "data_state": "all" if fresh else "final",
                }
            )
    return rows


def _traffic(rng: random.Random, days: Sequence[date]) -> list[dict[str, Any]]:
    channels = [("Organic Search", "google", "organic"), ("Direct", "(direct)", "(none)")]
    channels += [("Referral", "news.ycombinator.com", "referral"), ("Email", "newsletter", "email")]
    return [
        {
            "property_id": "properties/123456",
            "date": day,
            "session_default_channel_group": group,
            "session_source": source,
            "session_medium": medium,
            "sessions": (sessions := rng.randint(20, 600)),
            "key_events": float(round(sessions * 0.03)),
            "is_other_row": False,
            "thresholding_applied": False,
        }
        for day in days
        for group, source, medium in channels
    ]


def _crm(
    rng: random.Random, site: str, paths: Sequence[str], today: date
) -> dict[str, list[dict[str, Any]]]:
    stages = ["subscriber", "lead", "lead", "marketingqualifiedlead", "salesqualifiedlead"]
    tables: dict[str, list[dict[str, Any]]] = {
        "contacts": [],
        "companies": [],
        "deals": [],
        "contact_companies": [],
        "deal_contacts": [],
    }
    for n in range(1, 13):
        tables["companies"].append(
            {"id": str(500 + n), "name": f"Company {n}", "domain": f"company{n}.example"}
            | {"industry": rng.choice(["RETAIL", "SOFTWARE", "MARKETING"])}
            | _record(rng, today)
        )
    for n in range(1, 61):
        record = _record(rng, today)
        tables["contacts"].append(
            {"id": str(1000 + n), "email": f"person{n}@example.org", "firstname": f"Person{n}"}
            | {"lastname": "Sample", "lifecyclestage": rng.choice([*stages, "customer"])}
            | {"hs_analytics_first_url": f"{site}{rng.choice(paths[:7])}?utm_source=google"}
            | {"hs_analytics_source": rng.choice(["ORGANIC_SEARCH", "DIRECT_TRAFFIC"])}
            | record
        )
        tables["contact_companies"].append(
            {"contact_id": str(1000 + n), "company_id": str(501 + n % 12)}
        )
        if n % 4 == 0:
            tables["deals"].append(
                {"id": str(9000 + n), "dealname": f"Deal {n}", "pipeline": "default"}
                | {"amount": float(rng.choice([1200, 2400, 4800, 9600]))}
                | {"dealstage": rng.choice(["appointmentscheduled", "closedwon", "closedlost"])}
                | {"closedate": record["createdate"] + timedelta(days=30)}
                | record
            )
            tables["deal_contacts"].append({"deal_id": str(9000 + n), "contact_id": str(1000 + n)})
    return tables


def _record(rng: random.Random, today: date) -> dict[str, Any]:
    """Created in the last 90 days, modified in the last 5 days, not archived."""
    created = _at(today - timedelta(days=rng.randint(6, 90)))
    modified = _at(today - timedelta(days=rng.randint(1, 5)))
    return {"createdate": created, "hs_lastmodifieddate": modified, "archived": False}


def _crawl(site: str, paths: Sequence[str], today: date) -> dict[str, list[dict[str, Any]]]:
    fetched = _at(today - timedelta(days=1))
    pages = [
        {
            "crawl_id": "sample",
            "url": site + path,
            "host": urlsplit(site).hostname,
            "depth": 0 if path == "/" else 1,
            "found_via": "start" if path == "/" else "link",
            "is_internal": True,
            "status": 404 if path == "/about" else 200,
            "content_type": "text/html",
            "fetched_at": fetched,
            "word_count": 300 + 40 * n,
            "indexable": path != "/about",
        }
        for n, path in enumerate(paths)
    ]
    issues = [
        {
            "crawl_id": "sample",
            "check": check,
            "severity": severity,
            "url": site + path,
            "detail": d,
        }
        for check, severity, path, d in (
            ("status_4xx", "critical", "/about", "404 Not Found"),
            ("title_missing", "warning", "/customers", "no <title>"),
            ("meta_description_missing", "notice", "/pricing", "no meta description"),
            ("meta_description_missing", "notice", "/contact", "no meta description"),
        )
    ]
    return {"pages": pages, "issues": issues}


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=UTC)
