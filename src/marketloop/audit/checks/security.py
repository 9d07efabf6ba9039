"""Checks on transport security: plain http, mixed content, security headers."""

from marketloop.audit.checks.scope import HTML_PAGES
from marketloop.audit.model import Severity
from marketloop.audit.registry import sql_check

#: hosts browsers treat as secure contexts even over http (W3C Secure Contexts §3.1)
LOOPBACK = r"^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|\[::1\])$"

sql_check(
    "insecure_http",
    Severity.critical,
    scope=HTML_PAGES + " served over http://. A crawl of a plain-http loopback site "
    "(localhost, 127.0.0.1: a secure context for browsers) is exempt unless its start URL is "
    "https",
    description="A page is served over plain, unencrypted http://.",
    fix="Browsers mark http pages 'Not secure', visitors' data can be read and altered on the "
    "way, and search engines prefer https. Serve every page over https and 301-redirect http "
    "to https.",
    sql=rf"""
    SELECT url, 'served over http:// without TLS' AS detail FROM html_pages
    WHERE starts_with(url, 'http://')
      AND (starts_with((SELECT start_url FROM crawl), 'https://')
           OR NOT regexp_matches(regexp_extract(url, '^http://([^/:?#]+|\[[^\]]+\])', 1),
                                 '{LOOPBACK}'))
    """,
)

sql_check(
    "mixed_content",
    Severity.critical,
    scope="https " + HTML_PAGES + " and the scripts, styles, frames, media, forms and images "
    "they load; `url` is the page",
    description="An https page loads resources over plain http://.",
    fix="Browsers block or warn about mixed content, so the page may break and shows as not "
    "secure. Load every resource over https (or a relative URL).",
    sql="""
    WITH res AS (
      SELECT from_url AS url, kind || ' ' || to_url AS resource FROM links
      WHERE kind IN ('script', 'stylesheet', 'iframe', 'media', 'form')
        AND starts_with(to_url, 'http://')
      UNION
      SELECT page_url, 'img ' || src FROM images WHERE starts_with(src, 'http://')
    )
    SELECT r.url,
           plural(count(DISTINCT r.resource), 'http:// resource') || ': '
             || sample_text(list(DISTINCT r.resource ORDER BY r.resource)[1:5],
                            count(DISTINCT r.resource)) AS detail,
           count(DISTINCT r.resource) AS value
    FROM res r JOIN html_pages h USING (url)
    WHERE starts_with(h.url, 'https://')
    GROUP BY r.url
    """,
)

sql_check(
    "missing_security_headers",
    Severity.notice,
    scope=HTML_PAGES + " (Strict-Transport-Security only on https)",
    description="A page lacks recommended security headers.",
    fix="These headers protect visitors against protocol downgrades, MIME sniffing, "
    "clickjacking and referrer leaks. Set them once in the web server or CDN for every "
    "response: Strict-Transport-Security, X-Content-Type-Options: nosniff, a "
    "Content-Security-Policy (or at least X-Frame-Options) and a Referrer-Policy.",
    sql="""
    WITH m AS (
      SELECT url, [x for x in [
        CASE WHEN starts_with(url, 'https://') AND nullif(trim(hsts), '') IS NULL
          THEN 'Strict-Transport-Security' END,
        CASE WHEN lower(trim(coalesce(x_content_type_options, ''))) <> 'nosniff'
          THEN 'X-Content-Type-Options: nosniff' END,
        CASE WHEN nullif(trim(content_security_policy), '') IS NULL
               AND nullif(trim(x_frame_options), '') IS NULL
          THEN 'Content-Security-Policy or X-Frame-Options' END,
        CASE WHEN nullif(trim(referrer_policy), '') IS NULL THEN 'Referrer-Policy' END
      ] if x IS NOT NULL] AS missing
      FROM html_pages
    )
    SELECT url, 'missing ' || array_to_string(missing, ', ') AS detail, len(missing) AS value
    FROM m WHERE len(missing) > 0
    """,
)
