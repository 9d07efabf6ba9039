"""How much an issue matters: severity weight × the importance of the URL that has it.

Importance comes from what the crawl knows about a URL — how many crawled pages refer to it,
how deep it is, whether a sitemap lists it and whether it is kept out of the index on purpose
(noindex, canonicalised: problems there cost less) — and, when the
measure stage supplies it, its traffic. That is the seam for the warehouse: pass a
`TrafficSource` (URL → sessions or clicks over a recent window) to `engine.audit`, and pages
people actually visit rise to the top.

    importance = (1 + log2(1 + referring pages))      a page linked from 255 pages: 9
               × 1 / (1 + depth / 4)                  the start URL: 1, depth 4: 0.5
               × 1.25 if a sitemap lists it
               × 0.6 if noindexed or canonicalised
               × (1 + log10(1 + traffic))             100 sessions: 3

URLs the crawl has no row for (a sitemap file) get a neutral importance of 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from marketloop.audit.model import Severity

SEVERITY_WEIGHT = {Severity.critical: 10.0, Severity.warning: 3.0, Severity.notice: 1.0}
SEVERITY_WEIGHT_TEXT = ", ".join(f"{s.value} {w:g}" for s, w in SEVERITY_WEIGHT.items())
UNKNOWN_DEPTH = 4  # sitemap-only URLs have no link depth

#: the warehouse seam: given URLs, return recent traffic (sessions, clicks) for those it knows
TrafficSource = Callable[[Collection[str]], Mapping[str, float]]


@dataclass(frozen=True)
class PageSignals:
    referring_pages: int = 0
    depth: int | None = None
    in_sitemap: bool = False
    excluded: bool = False  # a live page kept out of the index on purpose
    traffic: float | None = None


def importance(signals: PageSignals | None) -> float:
    if signals is None:
        return 1.0
    links = 1 + math.log2(1 + signals.referring_pages)
    depth = signals.depth if signals.depth is not None else UNKNOWN_DEPTH
    score = links / (1 + depth / 4)
    score *= 1.25 if signals.in_sitemap else 1.0
    score *= 0.6 if signals.excluded else 1.0
    if signals.traffic:
        score *= 1 + math.log10(1 + signals.traffic)
    return score


def priority(severity: Severity, signals: PageSignals | None) -> float:
    return round(SEVERITY_WEIGHT[severity] * importance(signals), 2)


def formula() -> str:
    """The link-graph impact of a ticket, in words (the analytics one: impact.formula)."""
    return (
        f"Σ over the URLs of severity weight ({SEVERITY_WEIGHT_TEXT}) × importance, importance = "
        "(1 + log2(1 + referring pages)) × 1 / (1 + depth / 4) × 1.25 if in a sitemap "
        "× 0.6 if noindexed or canonicalised × (1 + log10(1 + traffic))"
    )


#: `importance` in SQL, operation for operation, for every URL with a finding (the engine's
#: `findings` table) that the crawl has a row for: the same doubles as the Python function
IMPORTANCE_SQL = f"""
CREATE OR REPLACE TEMP TABLE importance AS
SELECT s.url, s.depth,
       (1 + log2(1 + coalesce(r.n, 0))) / (1 + coalesce(s.depth, {UNKNOWN_DEPTH}) / 4)
       * CASE WHEN m.url IS NOT NULL THEN 1.25::DOUBLE ELSE 1.0::DOUBLE END
       * CASE WHEN coalesce(s.html AND s.status = 200 AND s.blocker IS NOT NULL, false)
              THEN 0.6::DOUBLE ELSE 1.0::DOUBLE END
       * CASE WHEN coalesce(t.traffic, 0) <> 0 THEN 1 + log10(1 + t.traffic)
              ELSE 1.0::DOUBLE END AS importance
FROM page_state s LEFT JOIN refs r USING (url) LEFT JOIN in_sitemap m USING (url)
     LEFT JOIN traffic t USING (url)
WHERE s.url IN (SELECT url FROM findings)
"""

TRAFFIC = pa.schema([("url", pa.string()), ("traffic", pa.float64())])
PRIORITIES = pa.schema(
    [("severity", pa.string()), ("importance", pa.float64()), ("priority", pa.float64())]
)


def load_importance(con: duckdb.DuckDBPyConnection, traffic: TrafficSource | None = None) -> None:
    """Table `importance` (url, depth, importance) for the URLs of table `findings` (url, ...),
    with traffic joined in if given, and `priorities` (severity, importance, priority): the
    rounded score of each pair that occurs (URLs the crawl has no row for: importance 1)."""
    visits: dict[str, float] = {}
    if traffic is not None:
        found = con.execute("SELECT DISTINCT url FROM findings ORDER BY url").fetchall()
        visits = dict(traffic([url for (url,) in found]))
    rows = [{"url": url, "traffic": visits[url]} for url in visits]
    con.register("traffic", pa.Table.from_pylist(rows, schema=TRAFFIC))
    con.execute(IMPORTANCE_SQL)
    pairs = con.execute(
        "SELECT DISTINCT f.severity, coalesce(i.importance, 1.0) FROM findings f "
        "LEFT JOIN importance i USING (url)"
    ).fetchall()
    scored = [
        {
            "severity": s,
            "importance": score,
            "priority": round(SEVERITY_WEIGHT[Severity(s)] * score, 2),
        }
        for s, score in pairs
    ]
    con.register("priorities", pa.Table.from_pylist(scored, schema=PRIORITIES))
