"""The crawl at a glance, for the HTML report: status codes, speed, indexability, depth."""

from __future__ import annotations

from dataclasses import dataclass

from marketloop.audit.views import open_views
from marketloop.crawl.dataset import CrawlDataset

Counts = list[tuple[str, float]]

STATUS = """
SELECT CASE WHEN blocked_by_robots THEN 'blocked by robots.txt'
            WHEN status IS NULL THEN coalesce(error, 'no response')
            ELSE status::VARCHAR END AS label, count(*) AS n
FROM pages WHERE is_internal GROUP BY label ORDER BY n DESC, label LIMIT 12
"""

RESPONSE_TIMES = """
SELECT CASE WHEN response_time_ms < 250 THEN '< 250 ms'
            WHEN response_time_ms < 500 THEN '250–500 ms'
            WHEN response_time_ms < 1000 THEN '0.5–1 s'
            WHEN response_time_ms < 2000 THEN '1–2 s'
            ELSE '≥ 2 s' END AS label, count(*) AS n, min(response_time_ms) AS low
FROM html_pages WHERE response_time_ms IS NOT NULL GROUP BY label ORDER BY low
"""

INDEXABILITY = """
SELECT CASE indexability
            WHEN 'indexable' THEN 'indexable'
            WHEN 'not_html' THEN 'not HTML'
            WHEN 'unparsed' THEN 'HTML not parsed'
            WHEN 'canonicalised' THEN 'canonicalised'
            WHEN 'redirect' THEN 'redirect'
            WHEN 'non_200' THEN CASE WHEN status BETWEEN 400 AND 499 THEN 'client error (4xx)'
                                     WHEN status BETWEEN 500 AND 599 THEN 'server error (5xx)'
                                     ELSE 'other' END
            WHEN 'no_response' THEN 'no response'
            WHEN 'blocked_by_robots' THEN 'blocked by robots.txt'
            WHEN 'noindex' THEN 'noindex'
            ELSE 'other' END AS label, count(*) AS n
FROM page_state WHERE is_internal AND coalesce(found_via, '') <> 'image'
GROUP BY label ORDER BY n DESC
"""

DEPTHS = """
SELECT coalesce(depth::VARCHAR, 'sitemap only') AS label, count(*) AS n
FROM html_pages GROUP BY depth ORDER BY depth NULLS LAST
"""

TOTALS = """
SELECT (SELECT count(*) FROM pages) AS urls,
       (SELECT count(*) FROM pages WHERE is_internal) AS internal,
       (SELECT count(*) FROM html_pages) AS html_pages,
       (SELECT count(*) FROM links) AS links,
       (SELECT count(*) FROM images) AS images,
       (SELECT median(response_time_ms) FROM html_pages) AS median_ms
"""


@dataclass(frozen=True)
class Overview:
    totals: dict[str, float]
    status: Counts
    response_times: Counts
    indexability: Counts
    depths: Counts


def overview(dataset: CrawlDataset) -> Overview:
    with open_views(dataset, refs=False) as con:

        def counts(sql: str) -> Counts:
            return [(str(row[0]), float(row[1])) for row in con.execute(sql).fetchall()]

        cursor = con.execute(TOTALS)
        names = [d[0] for d in cursor.description or []]
        row = cursor.fetchone() or ()
        totals = {name: float(value or 0) for name, value in zip(names, row, strict=True)}
        return Overview(
            totals, counts(STATUS), counts(RESPONSE_TIMES), counts(INDEXABILITY), counts(DEPTHS)
        )
