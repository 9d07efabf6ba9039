"""Checks on what JavaScript changes, like Screaming Frog's JavaScript tab: titles, H1s,
descriptions, canonicals, robots directives, links and content that exist or differ only after
rendering; script errors; resources the page needed but could not load.

They compare a rendered page (`crawl --render js`) with the same page as served (the `raw_*`
columns), so they read only the audit's `rendered_pages` helper (audit/views.py): the rendered
HTML pages, read once for all ten, and an empty table without a file read on a crawl made
without rendering, so they cost nothing there.
"""

from marketloop.audit.checks.scope import HTML_PAGES
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

RENDERED = HTML_PAGES + " rendered in the browser (`crawl --render js`; none without it)"


def _changed(label: str, served: str, rendered: str) -> str:
    """The detail of a value that JavaScript set, removed or changed (SQL over two texts)."""
    return f"""CASE WHEN {served} IS NULL THEN '{label} set by JavaScript: "' || {rendered} || '"'
         WHEN {rendered} IS NULL THEN '{label} removed by JavaScript (served: "' || {served}
              || '")'
         ELSE '{label} changed by JavaScript: served "' || {served} || '", rendered "'
              || {rendered} || '"' END"""


sql_check(
    "title_changed_by_javascript",
    Severity.warning,
    scope=RENDERED,
    description="The title exists only after JavaScript runs, or differs from the served one.",
    fix="Google indexes the rendered title, but only after rendering it later; other search "
    "engines, link previews and social networks read the served HTML. Put the final title in "
    "the HTML the server sends.",
    sql=f"""
    SELECT url, {_changed("title", "first_text(raw_titles)", "first_text(titles)")} AS detail
    FROM rendered_pages
    WHERE first_text(raw_titles) IS DISTINCT FROM first_text(titles)
    """,
)

sql_check(
    "meta_description_changed_by_javascript",
    Severity.notice,
    scope=RENDERED,
    description="The meta description exists only after JavaScript runs, or differs from the "
    "served one.",
    fix="Snippets and link previews that do not run scripts show the served description (or "
    "none). Put the final description in the HTML the server sends.",
    sql=f"""
    SELECT url, {
        _changed(
            "meta description", "first_text(raw_meta_descriptions)", "first_text(meta_descriptions)"
        )
    } AS detail
    FROM rendered_pages
    WHERE first_text(raw_meta_descriptions) IS DISTINCT FROM first_text(meta_descriptions)
    """,
)

sql_check(
    "h1_changed_by_javascript",
    Severity.notice,
    scope=RENDERED + " (crawled since the served H1 is kept: `raw_h1`)",
    description="The first H1 exists only after JavaScript runs, or differs from the served one.",
    fix="Crawlers that do not render, and Google until it renders the page, read the served "
    "heading. Put the page's main heading in the HTML the server sends.",
    sql=f"""
    SELECT url, {_changed("H1", "first_text(raw_h1)", "first_text(h1)")} AS detail
    FROM rendered_pages
    WHERE raw_h1 IS NOT NULL AND first_text(raw_h1) IS DISTINCT FROM first_text(h1)
    """,
)

sql_check(
    "canonical_changed_by_javascript",
    Severity.warning,
    scope=RENDERED,
    description="The canonical link exists only after JavaScript runs, or points elsewhere "
    "than the served one.",
    fix="Search engines may read either of two conflicting canonicals, or only the served one. "
    "Serve the canonical in the HTML and do not change it with scripts.",
    sql=f"""
    SELECT url, {_changed("canonical", "raw_canonical", "canonical")} AS detail
    FROM rendered_pages WHERE raw_canonical IS DISTINCT FROM canonical
    """,
)

sql_check(
    "noindex_only_in_raw_html",
    Severity.critical,
    scope=RENDERED + ", whose served HTML says noindex",
    description="The served HTML says noindex and JavaScript removes it.",
    fix="Google does not render a page whose served HTML says noindex, so the script never "
    "runs for it and the page stays out of the index. Remove noindex from the served HTML if "
    "the page should be indexed.",
    sql="""
    SELECT url, 'served meta robots "' || raw_meta_robots || '", rendered "'
             || coalesce(meta_robots, '') || '"' AS detail
    FROM rendered_pages
    WHERE is_noindex(raw_meta_robots, x_robots_tag)
      AND NOT is_noindex(meta_robots, x_robots_tag)
    """,
)

sql_check(
    "robots_changed_by_javascript",
    Severity.warning,
    scope=RENDERED + " (except a noindex removed: `noindex_only_in_raw_html`)",
    description="JavaScript adds, removes or changes the meta robots directives.",
    fix="Crawlers that do not render follow the served directives, Google may follow either. "
    "Serve the directives you mean in the HTML and do not change them with scripts.",
    sql="""
    SELECT url, 'meta robots served "' || coalesce(raw_meta_robots, '') || '", rendered "'
             || coalesce(meta_robots, '') || '"' AS detail
    FROM rendered_pages
    WHERE coalesce(raw_meta_robots, '') <> coalesce(meta_robots, '')
      AND NOT (is_noindex(raw_meta_robots, x_robots_tag)
               AND NOT is_noindex(meta_robots, x_robots_tag))
    """,
)

sql_check(
    "links_need_javascript",
    Severity.warning,
    scope=RENDERED,
    description="Most of the page's internal links appear only after JavaScript runs.",
    fix="Crawlers find script-built links late (Google after rendering) or never. Serve the "
    "links as <a href> in the HTML; add them with scripts only as an enhancement.",
    thresholds=(
        Threshold(
            "links_need_javascript",
            2,
            "×",
            "flag pages with more internal links after rendering than this many times the "
            "served ones plus `links_need_javascript_added`",
            minimum=1,
        ),
        Threshold(
            "links_need_javascript_added",
            5,
            "links",
            "internal links added to that product (a page serving none: flagged above this)",
        ),
    ),
    sql="""
    SELECT url, plural(coalesce(raw_outlinks_internal, 0), 'internal link') || ' served, '
             || outlinks_internal || ' rendered' AS detail,
           outlinks_internal AS value,
           $links_need_javascript * coalesce(raw_outlinks_internal, 0)
             + $links_need_javascript_added AS threshold
    FROM rendered_pages
    WHERE outlinks_internal > $links_need_javascript_added
      + $links_need_javascript * coalesce(raw_outlinks_internal, 0)
    """,
)

sql_check(
    "content_needs_javascript",
    Severity.warning,
    scope=RENDERED,
    description="Most of the main content appears only after JavaScript runs.",
    fix="Search engines that do not render see an almost empty page, and Google sees the "
    "content only after rendering it later. Render the main content on the server.",
    thresholds=(
        Threshold(
            "content_needs_javascript",
            2,
            "×",
            "flag pages with more words of main content after rendering than this many times "
            "the served ones plus `content_needs_javascript_words`",
            minimum=1,
        ),
        Threshold(
            "content_needs_javascript_words",
            50,
            "words",
            "words added to that product (a page serving none: flagged above this)",
        ),
    ),
    sql="""
    SELECT url, plural(coalesce(raw_word_count, 0), 'word') || ' served, ' || word_count
             || ' rendered' AS detail,
           word_count AS value,
           $content_needs_javascript * coalesce(raw_word_count, 0)
             + $content_needs_javascript_words AS threshold
    FROM rendered_pages
    WHERE word_count > $content_needs_javascript_words
      + $content_needs_javascript * coalesce(raw_word_count, 0)
    """,
)

sql_check(
    "javascript_error",
    Severity.notice,
    scope=RENDERED,
    description="A script on the page throws an uncaught error while it renders.",
    fix="An error can stop the script that builds content, links or tags, for visitors and "
    "for search engines. Open the page with the browser's console and fix the errors listed.",
    sql="""
    SELECT url, plural(len(js_errors), 'uncaught error') || ': ' || js_errors[1] AS detail,
           len(js_errors) AS value
    FROM rendered_pages WHERE len(js_errors) > 0
    """,
)

#: a recorded subrequest the site does not need fixed: third parties (analytics, ads) that the
#: renderer blocks on purpose, methods it does not send, and non-http(s) URLs
_DELIBERATE = r"\((third_party|method [A-Z]+|not http\(s\))\)$"

sql_check(
    "blocked_resource",
    Severity.warning,
    scope=RENDERED + "; third-party requests blocked on purpose (analytics, ads) do not count",
    description="The page needs a resource of the site that robots.txt disallows, or that "
    "fails to load.",
    fix="Google does not fetch disallowed scripts, styles or API calls, so it renders the "
    "page without them. Allow them in robots.txt, and fix the ones that fail (HTTP errors, "
    "timeouts, private addresses).",
    sql=f"""
    WITH needed AS (
      SELECT url, [b for b in blocked_requests if NOT regexp_matches(b, '{_DELIBERATE}')] AS b
      FROM rendered_pages WHERE len(blocked_requests) > 0
    )
    SELECT url, plural(len(b), 'resource') || ' not loaded: ' || sample_text(b[1:3], len(b))
             AS detail,
           len(b) AS value
    FROM needed WHERE len(b) > 0
    """,
)
