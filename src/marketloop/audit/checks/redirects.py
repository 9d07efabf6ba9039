"""Redirect chains and loops, walked hop by hop through `redirects` with a recursive CTE.

A chain starts at a head: a redirecting URL that no other redirect points to, or that was
discovered on its own (linked, listed in a sitemap, the start URL). Each head is walked until
the chain leaves the redirects (its final URL), revisits a URL (a loop) or passes `MAX_HOPS`.
"""

from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

MAX_HOPS = 100

CHAINS = f"""
WITH RECURSIVE hop AS (
  SELECT url, any_value(location) AS location FROM redirects
  WHERE location IS NOT NULL GROUP BY url
),
heads AS (
  SELECT h.url FROM hop h
  WHERE h.url NOT IN (SELECT location FROM hop)
     OR h.url IN (SELECT url FROM pages WHERE found_via IS DISTINCT FROM 'redirect')
),
walk(head, path, last, is_loop) AS (
  SELECT h.url, [h.url, h.location], h.location, h.url = h.location
  FROM hop h JOIN heads USING (url)
  UNION ALL
  SELECT w.head, list_append(w.path, h.location), h.location, list_contains(w.path, h.location)
  FROM walk w JOIN hop h ON h.url = w.last
  WHERE NOT w.is_loop AND len(w.path) <= {MAX_HOPS}
),
chains AS (
  SELECT head, path, is_loop, len(path) - 1 AS hops FROM walk w
  WHERE is_loop OR len(path) > {MAX_HOPS}
     OR NOT EXISTS (SELECT 1 FROM hop h WHERE h.url = w.last)
)
"""

sql_check(
    "redirect_chain",
    Severity.warning,
    scope="chains of 3xx responses recorded in the crawl; `url` is the first URL of the chain",
    description="A URL redirects more than once before reaching its final URL.",
    fix="Each hop adds latency, and search engines stop following after a few hops (Google: 10). "
    "Point the first URL, and every link to it, straight at the final URL.",
    thresholds=(Threshold("redirect_chain", 2, "hops", "flag chains of at least this many hops"),),
    sql=CHAINS
    + """
    SELECT c.head AS url,
           plural(c.hops, 'hop') || ': ' || array_to_string(c.path, ' → ')
             || coalesce(' (final: HTTP ' || p.status || ')', ' (final URL not fetched)') AS detail,
           c.hops AS value
    FROM chains c LEFT JOIN pages p ON p.url = c.path[-1]
    WHERE NOT c.is_loop AND c.hops >= $redirect_chain
    """,
)

sql_check(
    "redirect_loop",
    Severity.critical,
    scope="chains of 3xx responses that revisit a URL; `url` is the first URL of the chain",
    description="A redirect chain comes back to a URL it already visited, so it never ends.",
    fix="The URL cannot be reached by anyone. Find the rules that send the URLs to each other "
    "(often http↔https or trailing-slash rules fighting) and make one of them final.",
    sql=CHAINS
    + """
    SELECT head AS url, 'loop: ' || array_to_string(path, ' → ') AS detail, hops AS value
    FROM chains WHERE is_loop
    UNION ALL
    SELECT p.url, 'loop detected by the crawler at this URL (' || p.error || ')', NULL
    FROM pages p
    WHERE p.is_internal AND p.error = 'redirect_loop'
      AND p.url NOT IN (SELECT unnest(path) FROM chains WHERE is_loop)
    """,
)
