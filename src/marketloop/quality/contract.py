"""The warehouse contract as data: the tables `marketloop ingest` writes and the dbt project
reads, with their columns (dlt data types) and merge keys. See docs/warehouse.md.

Every table also carries dlt's `_dlt_load_id` and `_dlt_id`; every dataset has `_dlt_loads`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    columns: dict[str, str]  # name -> dlt data type
    key: tuple[str, ...]  # merge key (dlt primary key)


_ARCHIVED = {"archived": "bool", "archived_at": "timestamp"}
_MODIFIED = {"createdate": "timestamp", "hs_lastmodifieddate": "timestamp"}

CONTRACT: dict[str, dict[str, Table]] = {
    "ga4": {
        "pages": Table(
            {
                "property_id": "text",
                "date": "date",
                "host_name": "text",
                "page_path": "text",
                "sessions": "bigint",
                "active_users": "bigint",
                "screen_page_views": "bigint",
                "key_events": "double",
                "engagement_rate": "double",
                "total_revenue": "double",
                "is_other_row": "bool",
                "thresholding_applied": "bool",
            },
            ("property_id", "date", "host_name", "page_path"),
        ),
        "traffic_sources": Table(
            {
                "property_id": "text",
                "date": "date",
                "session_default_channel_group": "text",
                "session_source": "text",
                "session_medium": "text",
                "sessions": "bigint",
                "key_events": "double",
                "is_other_row": "bool",
                "thresholding_applied": "bool",
            },
            (
                "property_id",
                "date",
                "session_default_channel_group",
                "session_source",
                "session_medium",
            ),
        ),
    },
    "gsc": {
        "search_analytics": Table(
            {
                "site_url": "text",
                "search_type": "text",
                "date": "date",
                "query": "text",
                "page": "text",
                "country": "text",
                "device": "text",
                "clicks": "bigint",
                "impressions": "bigint",
                "ctr": "double",
                "position": "double",
                "data_state": "text",
            },
            ("site_url", "search_type", "date", "query", "page", "country", "device"),
        ),
    },
    "hubspot": {
        "contacts": Table(
            {
                "id": "text",
                "email": "text",
                "firstname": "text",
                "lastname": "text",
                "lifecyclestage": "text",
                "hs_analytics_first_url": "text",
                "hs_analytics_source": "text",
                **_MODIFIED,
                **_ARCHIVED,
            },
            ("id",),
        ),
        "companies": Table(
            {"id": "text", "name": "text", "domain": "text", "industry": "text"}
            | _MODIFIED
            | _ARCHIVED,
            ("id",),
        ),
        "deals": Table(
            {
                "id": "text",
                "dealname": "text",
                "amount": "double",
                "dealstage": "text",
                "pipeline": "text",
                "closedate": "timestamp",
                **_MODIFIED,
                **_ARCHIVED,
            },
            ("id",),
        ),
        "contact_companies": Table(
            {"contact_id": "text", "company_id": "text"}, ("contact_id", "company_id")
        ),
        "deal_contacts": Table(
            {"deal_id": "text", "contact_id": "text"}, ("deal_id", "contact_id")
        ),
    },
    "crawl": {
        "pages": Table(
            {
                "crawl_id": "text",
                "url": "text",
                "host": "text",
                "depth": "bigint",
                "found_via": "text",
                "is_internal": "bool",
                "status": "bigint",
                "error": "text",
                "content_type": "text",
                "fetched_at": "timestamp",
                "canonical": "text",
                "meta_robots": "text",
                "x_robots_tag": "text",
                "word_count": "bigint",
                "indexable": "bool",
            },
            ("url",),
        ),
        "issues": Table(
            {
                "crawl_id": "text",
                "check": "text",
                "severity": "text",
                "url": "text",
                "detail": "text",
            },
            (),
        ),
    },
}

#: the datasets dbt reads (sources) and the one `marketloop ingest file` writes: files have no
#: models, but a dbt source for load freshness (`files._dlt_loads`) and are tracked for volumes
SOURCES = tuple(CONTRACT)
#: marketloop's own records, loaded from the app database by `quality run` (quality/published.py)
CONTENT = "content"
PUBLISHED = Table(
    {
        "slug": "text",
        "cluster": "text",
        "action": "text",
        "url": "text",
        "published_at": "timestamp",
        "channel": "text",
    },
    ("slug",),
)
FILES = "files"
TRACKED_DATASETS = (*SOURCES, FILES)
DLT_LOADS = "_dlt_loads"
