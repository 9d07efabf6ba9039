"""What a ticket is worth: its URLs' traffic and business value, weighted by severity.

    value(url)     = clicks × w.clicks + impressions × w.impressions + sessions × w.sessions
                   + leads × w.leads + open deal value × w.open_deal_value
    impact(ticket) = severity weight × Σ value(url) over the ticket's URLs

Clicks and impressions (Search Console) and sessions (GA4) are summed over the last
`window_days` of the `page_performance` mart; leads and open deal value (HubSpot) come from
`landing_page_leads`. URLs join on the page key of macros/page_key.sql (`page_key` below).
Where no analytics are loaded, the ticket keeps the link-graph impact of priority.py
(`basis = "links"`). Weights and window: `[audit.impact]` in marketloop.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit

import pyarrow as pa

from marketloop.audit.config import ImpactWeights
from marketloop.audit.model import Ticket, UrlValue
from marketloop.audit.priority import SEVERITY_WEIGHT, SEVERITY_WEIGHT_TEXT

TOP_URLS = 5


@dataclass(frozen=True)
class PageValue:
    clicks: float = 0.0
    impressions: float = 0.0
    sessions: float = 0.0
    leads: float = 0.0
    open_deal_value: float = 0.0

    def score(self, w: ImpactWeights) -> float:
        return (
            self.clicks * w.clicks
            + self.impressions * w.impressions
            + self.sessions * w.sessions
            + self.leads * w.leads
            + self.open_deal_value * w.open_deal_value
        )


def page_key(url: str) -> str:
    """The warehouse's page key of a URL (the Python twin of macros/page_key.sql)."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.netloc.rsplit("@", 1)[-1]).lower()
    host = re.sub(r":(80|443)$", "", host).rstrip(".")
    host = re.sub(r"^www\.", "", host)
    path = unquote(parts.path, errors="strict") if _decodes(parts.path) else parts.path
    return host + (path.rstrip("/") or "/")


def _decodes(path: str) -> bool:
    try:
        unquote(path, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def rank(
    tickets: Sequence[Ticket],
    found: Iterable[tuple[str, str]],
    values: Mapping[str, PageValue],
    weights: ImpactWeights,
) -> list[Ticket]:
    """Tickets re-ranked by analytics value; unchanged (link-graph impact) when `values` is empty.

    `found` is the `(check, url)` of every issue (`check_urls` reads them from an issues
    table), read once; only the URLs with analytics are kept. `values` is keyed by page key.
    A ticket none of whose URLs has analytics scores 0 and ranks after those that do, in its
    link-graph order.
    """
    if not values:
        return list(tickets)
    scored: dict[str, dict[str, UrlValue]] = {}
    for check, url in found:
        kept = scored.setdefault(check, {})
        if url not in kept:
            page = values.get(page_key(url))
            if page is not None:
                kept[url] = _url_value(url, page, weights)
    ranked = []
    for ticket in tickets:
        urls = sorted(scored.get(ticket.check, {}).values(), key=lambda u: (-u.value, u.url))
        total = SEVERITY_WEIGHT[ticket.severity] * sum(u.value for u in urls)
        ranked.append(
            replace(ticket, impact=round(total, 2), basis="analytics", top=tuple(urls[:TOP_URLS]))
        )
    order = {t.check: n for n, t in enumerate(tickets)}
    return sorted(ranked, key=lambda t: (-t.impact, order[t.check]))


def check_urls(table: pa.Table) -> Iterator[tuple[str, str]]:
    """The `(check, url)` of each row of an issues table, read a batch at a time."""
    for batch in table.select(["check", "url"]).to_batches(max_chunksize=10_000):
        yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def _url_value(url: str, page: PageValue, weights: ImpactWeights) -> UrlValue:
    return UrlValue(
        url=url,
        clicks=page.clicks,
        impressions=page.impressions,
        sessions=page.sessions,
        leads=page.leads,
        open_deal_value=page.open_deal_value,
        value=round(page.score(weights), 2),
    )


def formula(weights: ImpactWeights) -> str:
    """The formula in force, in words, for the report and the ticket."""
    return (
        f"severity weight ({SEVERITY_WEIGHT_TEXT}) × Σ over the URLs of "
        f"clicks×{weights.clicks:g} + impressions×{weights.impressions:g} + "
        f"sessions×{weights.sessions:g} + leads×{weights.leads:g} + "
        f"open deal value×{weights.open_deal_value:g}, over the last {weights.window_days} days"
    )
