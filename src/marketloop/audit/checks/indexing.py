"""Checks on what search engines may index: directives, canonicals and sitemaps."""

from marketloop.audit.checks.redirects import MAX_HOPS
from marketloop.audit.checks.scope import HTML_PAGES, INDEXABLE
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

#: what the sitemap checks cannot see on a crawl cut short (see engine.WHOLE_SITE)
LIMITED_CRAWL = (
    ". On a crawl limited by --max-depth or stopped at --max-urls, the pages the crawl did not "
    "reach are not judged, and the audit warns"
)

sql_check(
    "noindex",
    Severity.warning,
    scope=HTML_PAGES,
    description="A page asks search engines not to index it (meta robots or X-Robots-Tag).",
    fix="Noindexed pages never rank. That is right for thank-you pages and internal search, and "
    "a costly accident anywhere else: remove the directive from pages that should rank.",
    sql="""
    SELECT url,
           concat_ws('; ',
             CASE WHEN robots_none(meta_robots, '') THEN 'meta robots: ' || meta_robots END,
             CASE WHEN header_noindex(x_robots_tag) THEN 'X-Robots-Tag: ' || x_robots_tag END
           ) AS detail
    FROM html_pages WHERE is_noindex(meta_robots, x_robots_tag)
    """,
)

sql_check(
    "missing_canonical",
    Severity.warning,
    scope=HTML_PAGES + ", without noindex",
    description="An indexable page declares no canonical URL (neither <link> nor Link header).",
    fix="Without a canonical, search engines guess which of the URL variants (parameters, "
    "trailing slashes, http/https) to index. Add <link rel=canonical> pointing at the page's "
    "preferred URL — itself, in most cases.",
    sql="""
    SELECT url, 'no <link rel=canonical> and no canonical Link header' AS detail
    FROM html_pages
    WHERE NOT is_noindex(meta_robots, x_robots_tag)
      AND canonical_of(canonical, canonical_header) IS NULL
    """,
)

sql_check(
    "canonicalised",
    Severity.notice,
    scope=HTML_PAGES,
    description="A page names another URL as its canonical, so it will not be indexed itself.",
    fix="Fine for parameter and duplicate variants. If the page should rank on its own, make its "
    "canonical point to itself; either way, link internally to the canonical URL.",
    sql="""
    SELECT url, 'canonical: ' || canonical_of(canonical, canonical_header) AS detail
    FROM html_pages WHERE canonical_of(canonical, canonical_header) <> url
    """,
)

sql_check(
    "canonical_to_non_indexable",
    Severity.critical,
    scope=HTML_PAGES + " whose canonical target was crawled",
    description="A page's canonical points to a URL that cannot be indexed.",
    fix="Search engines ignore a canonical that points at an error, a redirect, a blocked or "
    "noindexed URL, and may drop both pages. Point the canonical at the live, indexable URL.",
    sql="""
    SELECT h.url,
           'canonical ' || s.url || ' is not indexable: ' || s.blocker AS detail
    FROM html_pages h JOIN page_state s ON s.url = canonical_of(h.canonical, h.canonical_header)
    WHERE s.url <> h.url AND s.blocker IS NOT NULL
    """,
)

sql_check(
    "non_indexable_in_sitemap",
    Severity.warning,
    scope="internal URLs listed in a urlset sitemap that the crawler fetched or was blocked from"
    + LIMITED_CRAWL,
    description="A sitemap lists a URL that cannot be indexed.",
    fix="Sitemaps should list only canonical, indexable URLs that answer 200; anything else "
    "wastes crawl budget and makes search engines trust the sitemap less. Remove the URL from "
    "the sitemap, or fix the URL.",
    sql="""
    SELECT s.url, s.blocker || '; listed in ' || m.sitemap AS detail
    FROM page_state s JOIN in_sitemap m USING (url)
    WHERE s.is_internal AND s.blocker IS NOT NULL
    """,
)

#: the candidate pages (indexable, in a sitemap) that no crawled page links to directly (nor
#: is the start URL), and those of them `reached` through a URL whose redirect chain ends at
#: them, walked backwards through `redirects` from those few pages only (an anti join with the
#: linked URLs first: walking from every page joined all of them with `refs` and `pages`); the
#: cap guards against loops in inconsistent data
_REACHED_VIA_REDIRECTS = f"""
WITH RECURSIVE hop AS (
  SELECT url, any_value(location) AS location FROM redirects
  WHERE location IS NOT NULL GROUP BY url
),
linked AS (
  SELECT url FROM refs WHERE n_a > 0
  UNION ALL
  SELECT url FROM pages WHERE found_via = 'start'
),
candidates AS (
  SELECT p.url, m.sitemap FROM indexable_pages p JOIN in_sitemap m USING (url)
  ANTI JOIN linked l ON l.url = p.url
),
chain(page, url, hops) AS (
  SELECT url, url, 0 FROM candidates
  UNION ALL
  SELECT c.page, h.url, c.hops + 1 FROM chain c JOIN hop h ON h.location = c.url
  WHERE c.hops < {MAX_HOPS}
),
reached AS (
  SELECT DISTINCT c.page FROM chain c SEMI JOIN linked l ON l.url = c.url
)
"""

sql_check(
    "orphan_page",
    Severity.warning,
    scope=INDEXABLE + ", listed in a sitemap, other than the start URL (or where its "
    "redirects lead); a link to a URL that redirects to the page, in any number of hops, "
    "reaches it" + LIMITED_CRAWL,
    description="A page listed in a sitemap is not linked from any crawled page.",
    fix="Orphan pages get no link equity and are hard for visitors to find; search engines rank "
    "them poorly. Link to the page from relevant pages and navigation, or retire it.",
    sql=_REACHED_VIA_REDIRECTS
    + """
    SELECT url, 'no internal link reaches it; listed in ' || sitemap AS detail
    FROM candidates WHERE url NOT IN (SELECT page FROM reached)
    """,
)

sql_check(
    "sitemap_over_limit",
    Severity.critical,
    scope="every sitemap file read",
    description="A sitemap file has more URLs or more bytes than the sitemap protocol allows.",
    fix="Search engines reject the whole file beyond 50,000 URLs or 50 MB uncompressed. Split it "
    "into several sitemaps and list them in a sitemap index.",
    thresholds=(
        Threshold("sitemap_over_limit", 50_000, "URLs", "flag sitemaps with more URLs than this"),
        Threshold(
            "sitemap_over_limit_mb", 50, "MB", "flag sitemaps larger than this, uncompressed"
        ),
    ),
    sql="""
    SELECT sitemap_url AS url,
           concat_ws('; ',
             CASE WHEN url_count > $sitemap_over_limit
               THEN url_count || ' URLs (limit ' || $sitemap_over_limit::BIGINT || ')' END,
             CASE WHEN size > $sitemap_over_limit_mb * 1048576
               THEN printf('%.1f MB uncompressed (limit %g MB)', size / 1048576,
                           $sitemap_over_limit_mb) END
           ) AS detail,
           CASE WHEN url_count > $sitemap_over_limit THEN url_count
                ELSE round(size / 1048576, 1) END AS value,
           CASE WHEN url_count > $sitemap_over_limit THEN $sitemap_over_limit
                ELSE $sitemap_over_limit_mb END AS threshold
    FROM sitemaps
    WHERE url_count > $sitemap_over_limit OR size > $sitemap_over_limit_mb * 1048576
    """,
)
