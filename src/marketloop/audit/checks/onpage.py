"""Checks on what a page says: titles, descriptions, headings, content, depth, URL, data."""

from marketloop.audit.checks.scope import HTML_PAGES, INDEXABLE
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

_CANNOT = r"(cannot|can.t|could not|couldn.t)"
#: wording of a not-found message anywhere in a heading (RE2, lower case). A bare 404 or 410
#: is left out ("Peugeot 404 Estate"), and so is "does not exist" without "page" ("Why the
#: perfect CRM does not exist"): they count only as the whole heading (`NOT_FOUND_HEADING`)
NOT_FOUND = (
    rf"\b(not found|{_CANNOT} be found|{_CANNOT} find|isn.t here|page (does not|doesn.t) exist"
    r"|no longer (exists|available)|page (is )?missing|nothing (was )?found)\b"
)
#: a heading that is nothing but a not-found message, once a " | Site name" suffix is cut:
#: "404", "Error 404: page not found", "Oops! That page can't be found", "We couldn't find
#: that page", "Sorry, that page isn't here"
NOT_FOUND_HEADING = (
    r"^((oops|sorry|whoops|hmm|uh.oh)[,.!\s]*)?("
    r"(error\s*)?(404|410)?\s*(error)?\s*[:\-–]?\s*"
    r"((the |this |that )?page( you (requested|were looking for|are looking for))?\s+)?"
    rf"(not found|{_CANNOT} be found|(does not|doesn.t) exist|is missing|isn.t here"
    r"|is not here|no longer (exists|available))?"
    rf"|((we|i)\s+)?{_CANNOT}\s+find\s+(that|this|the|your)\s+page"
    r")[.!\s]*$"
)
#: what makes a heading more than filler: a status code or the not-found wording itself
_NOT_FOUND_WORDS = rf"\b(404|410)\b|{NOT_FOUND}"
_SUFFIX = r"\s+[|–—·•-]\s+.*$"

sql_check(
    "missing_title",
    Severity.critical,
    scope=HTML_PAGES,
    description="A page has no <title>, or only an empty one.",
    fix="The title is the headline of the search result and the browser tab. Write a unique, "
    "descriptive title of 30–60 characters for every page.",
    sql="SELECT url, 'no non-empty <title>' AS detail FROM html_pages WHERE len(texts(titles)) = 0",
)

sql_check(
    "title_too_long",
    Severity.notice,
    scope=INDEXABLE,
    description="The title is longer than search results show, so it gets cut off.",
    fix="Put the words that matter first and shorten the title to the threshold.",
    thresholds=(Threshold("title_too_long", 60, "chars", "flag titles longer than this"),),
    sql="""
    SELECT url, length(first_text(titles)) || ' characters (limit ' || $title_too_long::INT
             || '): ' || first_text(titles) AS detail,
           length(first_text(titles)) AS value
    FROM indexable_pages WHERE length(first_text(titles)) > $title_too_long
    """,
)

sql_check(
    "title_too_short",
    Severity.notice,
    scope=INDEXABLE + ", with a non-empty title",
    description="The title is so short it wastes the most visible words of the search result.",
    fix="Describe the page's topic and the searcher's benefit in 30–60 characters.",
    thresholds=(
        Threshold(
            "title_too_short",
            30,
            "chars",
            "flag titles shorter than this",
            not_above="title_too_long",
        ),
    ),
    sql="""
    SELECT url, length(first_text(titles)) || ' characters (minimum ' || $title_too_short::INT
             || '): ' || first_text(titles) AS detail,
           length(first_text(titles)) AS value
    FROM indexable_pages WHERE length(first_text(titles)) < $title_too_short
    """,
)

sql_check(
    "missing_meta_description",
    Severity.warning,
    scope=INDEXABLE,
    description="A page has no meta description.",
    fix="Search engines then pick a snippet themselves, often a poor one. Write a unique summary "
    "of 70–155 characters that makes the searcher want to click.",
    sql="""
    SELECT url, 'no non-empty <meta name=description>' AS detail
    FROM indexable_pages WHERE len(texts(meta_descriptions)) = 0
    """,
)

sql_check(
    "meta_description_length",
    Severity.notice,
    scope=INDEXABLE + ", with a meta description",
    description="The meta description is too long (cut off) or too short (wasted).",
    fix="Aim for 70–155 characters: long enough to sell the click, short enough to show whole.",
    thresholds=(
        Threshold("meta_description_length", 155, "chars", "flag descriptions longer than this"),
        Threshold(
            "meta_description_length_min",
            70,
            "chars",
            "flag descriptions shorter",
            not_above="meta_description_length",
        ),
    ),
    sql="""
    SELECT url,
           length(first_text(meta_descriptions)) || ' characters ('
             || CASE WHEN length(first_text(meta_descriptions)) > $meta_description_length
                     THEN 'limit ' || $meta_description_length::INT
                     ELSE 'minimum ' || $meta_description_length_min::INT END || ')' AS detail,
           length(first_text(meta_descriptions)) AS value,
           CASE WHEN length(first_text(meta_descriptions)) > $meta_description_length
                THEN $meta_description_length ELSE $meta_description_length_min END AS threshold
    FROM indexable_pages
    WHERE length(first_text(meta_descriptions)) > $meta_description_length
       OR length(first_text(meta_descriptions)) < $meta_description_length_min
    """,
)

sql_check(
    "missing_h1",
    Severity.warning,
    scope=INDEXABLE,
    description="A page has no H1 heading.",
    fix="The H1 tells visitors and search engines what the page is about. Add one H1 that "
    "matches the page's main topic.",
    sql="SELECT url, 'no non-empty <h1>' AS detail FROM indexable_pages WHERE len(texts(h1)) = 0",
)

sql_check(
    "multiple_h1",
    Severity.notice,
    scope=INDEXABLE,
    description="A page has more than one H1 heading.",
    fix="Several H1s blur the page's main topic. Keep one H1 and turn the others into H2s.",
    sql="""
    SELECT url, len(texts(h1)) || ' H1s: ' || array_to_string(texts(h1), ' | ') AS detail,
           len(texts(h1)) AS value
    FROM indexable_pages WHERE len(texts(h1)) > 1
    """,
)

sql_check(
    "low_content",
    Severity.notice,
    scope=INDEXABLE,
    description="The main content (without navigation, header and footer) is thin.",
    fix="Thin pages rarely rank and may be seen as low quality. Expand the page with content "
    "that answers the searcher's question, merge it into a stronger page, or noindex it.",
    thresholds=(Threshold("low_content", 200, "words", "flag main content shorter than this"),),
    sql="""
    SELECT url, coalesce(word_count, 0) || ' words of main content (minimum '
             || $low_content::INT || ')' AS detail, coalesce(word_count, 0) AS value
    FROM indexable_pages WHERE coalesce(word_count, 0) < $low_content
    """,
)

_SAYS_NOT_FOUND = (
    f"[trim(t) for t in texts(titles) || texts(h1) if regexp_matches(lower(t), '{NOT_FOUND}')]"
)
_IS_NOT_FOUND = (
    "[h for h in [trim(t) for t in texts(titles) || texts(h1)] "
    f"if regexp_matches(regexp_replace(lower(h), '{_SUFFIX}', ''), '{NOT_FOUND_HEADING}') "
    f"AND regexp_matches(regexp_replace(lower(h), '{_SUFFIX}', ''), '{_NOT_FOUND_WORDS}')]"
)

sql_check(
    "soft_404",
    Severity.warning,
    scope=INDEXABLE + " whose title or H1 is a not-found message (any length), or mentions "
    "one on a thin page",
    description="A page answers 200 but looks like a 'page not found' page.",
    fix="Search engines flag such pages as soft 404s and waste crawl on them. Make missing pages "
    "answer 404 (or 410), or redirect them to a real replacement.",
    thresholds=(
        Threshold(
            "soft_404",
            150,
            "words",
            "a heading that only mentions 'not found' counts on pages with less main content",
        ),
    ),
    sql=f"""
    WITH h AS (
      SELECT url, coalesce(word_count, 0) AS words,
             {_SAYS_NOT_FOUND} AS says, {_IS_NOT_FOUND} AS is_heading
      FROM indexable_pages
    )
    SELECT url,
           'answers 200 but its '
             || CASE WHEN len(is_heading) > 0 THEN 'heading is "' || is_heading[1] || '"'
                     ELSE 'heading mentions "' || says[1] || '" with only ' || words
                          || ' words of main content' END AS detail,
           words AS value
    FROM h WHERE len(is_heading) > 0 OR (len(says) > 0 AND words < $soft_404)
    """,
)

sql_check(
    "deep_page",
    Severity.notice,
    scope=INDEXABLE + ", reached by links",
    description="A page is many clicks away from the start URL.",
    fix="Deep pages get little link equity and are crawled less often. Link to them from "
    "higher-level pages, hubs or navigation.",
    thresholds=(Threshold("deep_page", 4, "clicks", "flag pages at least this deep"),),
    sql="""
    SELECT url, depth || ' clicks from the start URL (threshold ' || $deep_page::INT || ')'
             AS detail, depth AS value
    FROM indexable_pages WHERE depth >= $deep_page
    """,
)

sql_check(
    "invalid_structured_data",
    Severity.warning,
    scope=HTML_PAGES,
    description="A JSON-LD block on the page cannot be parsed.",
    fix="Invalid structured data is ignored, so the page loses rich results. Fix the JSON "
    "(validate it with the Rich Results Test) or remove the block.",
    sql="""
    SELECT url, plural(len(jsonld_errors), 'invalid JSON-LD block') || ': '
             || array_to_string(jsonld_errors, '; ') AS detail,
           len(jsonld_errors) AS value
    FROM html_pages WHERE len(jsonld_errors) > 0
    """,
)
