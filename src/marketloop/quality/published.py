"""Published briefs into the warehouse: `quality run` copies the app database's record of what
was published (integrations/published.py) into `content.published_briefs` with dlt before dbt
runs, so the `content_performance` mart can join it with Search Console, GA4 and HubSpot.

The app database is the truth: each run replaces the table with its rows. Nothing is loaded
while no brief has been published (the mart is then not built, and the report says so).
"""

from __future__ import annotations

from typing import Any

from marketloop.config import Settings, app_db_url
from marketloop.integrations.published import published_briefs
from marketloop.quality.contract import CONTENT, PUBLISHED

TABLE = "published_briefs"


def load_published(settings: Settings) -> int:
    """Copy the published briefs into the warehouse through the ingest path (the same dlt
    pipeline settings and destination as `marketloop ingest`); returns how many there are."""
    rows = [
        {column: row[column] for column in PUBLISHED.columns}
        for row in published_briefs(app_db_url(settings))
    ]
    if not rows:
        return 0
    import dlt

    from marketloop.ingest.pipeline import load

    columns: dict[str, Any] = {
        name: {"data_type": kind} for name, kind in PUBLISHED.columns.items()
    }
    resource = dlt.resource(
        rows,
        name=TABLE,
        write_disposition="replace",
        columns=columns,
        primary_key=list(PUBLISHED.key),
    )
    load(settings, CONTENT, resource)
    return len(rows)
