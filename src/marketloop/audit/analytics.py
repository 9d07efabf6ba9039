"""The I/O edge of impact.py: each page's analytics from the warehouse marts.

`page_performance` gives clicks, impressions and sessions summed over the last `window_days`
(counted back from the latest day loaded, so an old sample warehouse still ranks);
`landing_page_leads` gives leads and open deal value by first-touch page. A missing
warehouse, or marts not built yet, read as no analytics (the link-graph ranking stays).
"""

from __future__ import annotations

from typing import Any

from marketloop.audit.config import ImpactWeights
from marketloop.audit.impact import PageValue
from marketloop.config import Settings
from marketloop.errors import MarketloopError
from marketloop.quality import inventory
from marketloop.quality.warehouse import Warehouse, WarehouseBusy, connect, target_from_settings

TRAFFIC_SQL = """
select page_key, sum(coalesce(clicks, 0)) as clicks, sum(coalesce(impressions, 0)) as impressions,
       sum(coalesce(sessions, 0)) as sessions
from {schema}.page_performance
where date > (select max(date) from {schema}.page_performance) - {days}
group by page_key
"""
LEADS_SQL = """
select page_key, sum(leads) as leads, sum(coalesce(open_deal_value, 0)) as open_deal_value
from {schema}.landing_page_leads group by page_key
"""


def page_values(settings: Settings) -> dict[str, PageValue]:
    """Page key → analytics over the window; empty when no mart is there to read."""
    schema = f"{settings.quality.schema_prefix}_marts"
    try:
        target = target_from_settings(settings)
        with connect(target, snapshot=True) as wh:
            return _read(wh, schema, settings.audit.impact)
    except WarehouseBusy:
        raise
    except MarketloopError:  # no warehouse yet, or one marketloop does not open
        return {}


def _read(wh: Warehouse, schema: str, weights: ImpactWeights) -> dict[str, PageValue]:
    found = {r.name for r in inventory.relations(wh, [schema])}
    figures: dict[str, dict[str, float]] = {}
    if "page_performance" in found:
        sql = TRAFFIC_SQL.format(schema=schema, days=int(weights.window_days))
        _merge(figures, wh.rows(sql))
    if "landing_page_leads" in found:
        _merge(figures, wh.rows(LEADS_SQL.format(schema=schema)))
    return {key: PageValue(**values) for key, values in figures.items()}


def _merge(into: dict[str, dict[str, float]], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        key = row.pop("page_key")
        if key is None:
            continue
        into.setdefault(key, {}).update({k: float(v or 0) for k, v in row.items()})
