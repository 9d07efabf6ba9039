"""Checks on links and URLs: dead ends, vague anchors, URL hygiene."""

from marketloop.audit.checks.scope import HTML_PAGES, INDEXABLE
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

#: anchors that say nothing about the target (Lighthouse's list, plus "link"), compared after
#: lower-casing and trimming spaces and punctuation; "" is an empty anchor
GENERIC_ANCHORS = (
    "",
    "click here",
    "click this",
    "go",
    "here",
    "information",
    "learn more",
    "link",
    "more",
    "more info",
    "more information",
    "read more",
    "right here",
    "see more",
    "start",
    "this",
    "this link",
    "this page",
)

sql_check(
    "no_internal_outlinks",
    Severity.warning,
    scope=HTML_PAGES,
    description="A page links to no other internal URL: a dead end for visitors and crawlers.",
    fix="Dead ends stop visitors and pass no link equity on. Add navigation and contextual links "
    "to related pages.",
    # an anti join with the pages that do link out (one distinct row per page): NOT EXISTS
    # made DuckDB build its hash table on every link (30 million at a million pages). At a
    # million pages, reading `links` for the filter and `html_pages` are 84% of its CPU
    sql="""
    SELECT h.url, 'no <a href> to another internal URL' AS detail, 0 AS value FROM html_pages h
    ANTI JOIN (
      SELECT DISTINCT from_url FROM links
      WHERE kind = 'a' AND is_internal AND to_url <> from_url
    ) l ON l.from_url = h.url
    """,
)

_anchors = ", ".join(f"'{anchor}'" for anchor in GENERIC_ANCHORS)
#: the five first items per page, by a window and fixed-size aggregates: `min(item, 5)` keeps a
#: list per page, which DuckDB cannot spill (it ran out of memory at a million pages)
_FIRST_FIVE = ", ".join(f"min(item) FILTER (WHERE k = {k}) AS i{k}" for k in range(1, 6))
sql_check(
    "non_descriptive_anchor",
    Severity.notice,
    scope="internal <a> links on crawled pages; `url` is the page holding the links. The "
    "anchor is the link's text, else its aria-label, else its title, else the alt of an image "
    "inside it, so an icon link with an aria-label is not empty",
    description="Internal links whose anchor text says nothing about the target "
    "('click here', 'read more', empty, ...).",
    fix="Anchor text tells search engines and screen-reader users what the target is about. "
    "Describe the target in the link text (or the alt text of a linked image).",
    # the window sorts every generic-anchor link (15 million at a million pages: it spills),
    # so its rows carry a page number instead of the page's URL (`other`: the URL of a page
    # that the crawl has no row for); 17% less CPU at a million pages. It still grows about
    # ×13–20 for ×10 pages: at a million the helper tables and the Parquet footer cache leave
    # it about 125 MB of DuckDB's cap. `min(item, 5)`, `QUALIFY k <= 5` (rewritten into it) and
    # ten hash buckets of pages run out of memory there; nth_value() or `min(item, 5) OVER`
    # the page cost more (docs/audit.md, "Scale": what was tried)
    sql=f"""
    WITH ids AS (
      SELECT url, row_number() OVER () AS pid FROM (SELECT DISTINCT url FROM page_state)
    ), a AS (
      SELECT from_url, to_url, coalesce(trim(anchor), '') AS shown,
             lower(trim(coalesce(anchor, ''), $$ \t\n.,:;!?…»«›‹→←-–—()[]"'$$)) AS norm
      FROM links WHERE kind = 'a' AND is_internal AND length(coalesce(anchor, '')) <= 40
    ), ranked AS (
      SELECT pid, other, item, row_number() OVER (PARTITION BY pid, other ORDER BY item) AS k
      FROM (SELECT i.pid, CASE WHEN i.pid IS NULL THEN a.from_url END AS other,
                   '"' || shown || '" → ' || to_url AS item
            FROM a LEFT JOIN ids i ON i.url = a.from_url
            WHERE norm IN ({_anchors}))
    ), g AS (
      SELECT pid, other, count(*) AS n, {_FIRST_FIVE}
      FROM ranked GROUP BY pid, other
    )
    SELECT coalesce(i.url, g.other) AS url,
           plural(n, 'link') || ' with non-descriptive anchors: '
             || sample_text([x FOR x IN [i1, i2, i3, i4, i5] IF x IS NOT NULL], n) AS detail,
           n AS value
    FROM g LEFT JOIN ids i USING (pid)
    """,
)

sql_check(
    "url_hygiene",
    Severity.notice,
    scope=INDEXABLE,
    description="The page's URL is long, or has uppercase letters, spaces, underscores or "
    "parameters.",
    fix="Short, lower-case, hyphenated URLs without parameters are easier to read, share and "
    "link to, and avoid duplicate variants. Change the URL (with a 301 from the old one) or "
    "point the canonical at a clean URL.",
    thresholds=(Threshold("url_hygiene", 115, "chars", "flag URLs longer than this"),),
    sql=r"""
    WITH u AS (
      SELECT url, regexp_extract(url, '^[a-z][a-z0-9+.-]*://[^/?#]*([^?#]*)', 1) AS path,
             contains(url, '?') AS has_query
      FROM indexable_pages
    ), rules AS (
      SELECT url, concat_ws('; ',
        CASE WHEN length(url) > $url_hygiene
          THEN 'longer than ' || $url_hygiene::INT || ' characters (' || length(url) || ')' END,
        CASE WHEN regexp_matches(regexp_replace(path, '%[0-9A-Fa-f]{2}', '', 'g'), '[A-Z]')
          THEN 'uppercase letters' END,
        CASE WHEN contains(path, ' ') OR contains(lower(path), '%20') THEN 'spaces' END,
        CASE WHEN contains(path, '_') THEN 'underscores' END,
        CASE WHEN has_query THEN 'parameters' END) AS detail,
        length(url) AS value
      FROM u
    )
    SELECT url, detail, value FROM rules WHERE detail <> ''
    """,
)
