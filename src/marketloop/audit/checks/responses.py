"""Checks on how internal URLs answer: errors, failures, robots.txt blocks, slow responses."""

from marketloop.audit.checks.scope import HTML_PAGES, INTERNAL_URLS, LINKED_URLS
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

sql_check(
    "server_error",
    Severity.critical,
    scope=INTERNAL_URLS,
    description="An internal URL answered with a server error (5xx).",
    fix="Visitors and search engines get an error page, and repeated 5xx make Google crawl "
    "the site less. Check the server logs for the URL, fix the failing handler or upstream, "
    "and make sure planned downtime answers 503 with Retry-After.",
    sql="""
    SELECT p.url, 'HTTP ' || p.status || '; ' || linked_from(r.n, r.sample) AS detail,
           p.status AS value
    FROM pages p LEFT JOIN refs r USING (url)
    WHERE p.is_internal AND p.status >= 500
    """,
)

sql_check(
    "broken_link",
    Severity.critical,
    scope=LINKED_URLS + " answering 4xx; `url` is the broken target itself (4xx URLs only "
    "named by a canonical, hreflang or sitemap are left to those checks)",
    description="An internal URL answers with a client error (4xx), so links to it are broken.",
    fix="Broken links waste crawl budget, lose the link equity they carry and send visitors to "
    "a dead end. Update or remove the links on the referring pages listed in the detail, or "
    "301-redirect the URL to its closest live replacement.",
    sql="""
    SELECT p.url, 'HTTP ' || p.status || '; ' || linked_from(r.n, r.sample) AS detail,
           p.status AS value
    FROM pages p JOIN refs r USING (url)
    WHERE p.is_internal AND p.status BETWEEN 400 AND 499 AND r.n > 0
    """,
)

sql_check(
    "no_response",
    Severity.critical,
    scope=INTERNAL_URLS + " that got no HTTP response (timeout, refused, reset, DNS, TLS), or "
    "whose 200 response broke off before the body arrived in full (too large, timeout, reset)",
    description="An internal URL gave no complete response: timeout, refused or reset "
    "connection, or a body that broke off or was too large to read.",
    fix="Search engines treat unreachable URLs like errors and slow their crawl. Check that the "
    "server is up and answers within the crawl timeout, and look for firewalls or rate limits "
    "that drop requests.",
    sql="""
    SELECT p.url,
           CASE WHEN p.status IS NULL THEN coalesce(p.error, 'no response')
                ELSE 'HTTP ' || p.status || ', then ' || p.error || ' while reading the body' END
             || '; ' || linked_from(r.n, r.sample) AS detail
    FROM pages p LEFT JOIN refs r USING (url)
    WHERE p.is_internal AND NOT coalesce(p.blocked_by_robots, false)
      AND (p.status IS NULL OR (p.status BETWEEN 200 AND 299 AND p.error IS NOT NULL))
      AND coalesce(p.error, '') NOT IN ('private_address', 'invalid_url', 'redirect_loop')
    """,
)

sql_check(
    "redirect",
    Severity.notice,
    scope="internal URLs answering 3xx that a crawled page links to with <a>; `url` is the "
    "redirecting URL",
    description="Internal links point to a URL that redirects.",
    fix="Every redirect costs the visitor a round trip and dilutes link signals. Update the "
    "links on the referring pages to point straight at the final URL.",
    sql="""
    SELECT p.url,
           'HTTP ' || p.status || ' to ' || coalesce(p.redirect_url, '(no Location)') || '; '
             || linked_from(r.n_a, r.sample_a) AS detail,
           p.status AS value
    FROM pages p JOIN refs r USING (url)
    WHERE p.is_internal AND p.status BETWEEN 300 AND 399 AND r.n_a > 0
    """,
)

sql_check(
    "blocked_by_robots",
    Severity.warning,
    scope=LINKED_URLS + " that robots.txt disallows",
    description="Pages link to an internal URL that robots.txt disallows.",
    fix="Search engines cannot read a blocked URL, yet it can still be indexed without content "
    "from the links to it. If the URL should rank, allow it in robots.txt; if not, stop linking "
    "to it (or use noindex on a crawlable URL instead of a robots.txt block).",
    sql="""
    SELECT p.url, 'disallowed by robots.txt; ' || linked_from(r.n, r.sample) AS detail
    FROM pages p JOIN refs r USING (url)
    WHERE p.is_internal AND p.blocked_by_robots AND r.n > 0
    """,
)

sql_check(
    "slow_response",
    Severity.warning,
    scope=HTML_PAGES,
    description="An HTML page took longer than the threshold to arrive in full.",
    fix="Slow responses hurt visitors, conversion and Core Web Vitals, and make search engines "
    "crawl fewer pages. Profile the page's backend time, add caching, and serve it from a CDN.",
    thresholds=(
        Threshold("slow_response", 1.0, "s", "flag pages slower than this (request to full body)"),
    ),
    sql="""
    SELECT url,
           printf('%.2f s to respond (threshold %.2f s)', response_time_ms / 1000,
                  $slow_response) AS detail,
           round(response_time_ms / 1000, 3) AS value
    FROM html_pages WHERE response_time_ms > $slow_response * 1000
    """,
)
