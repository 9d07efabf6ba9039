"""Checks on images: alt text, declared size, file weight."""

from marketloop.audit.checks.scope import HTML_PAGES
from marketloop.audit.model import Severity, Threshold
from marketloop.audit.registry import sql_check

#: a declared dimension of at most 1 px: a tracking pixel or spacer, not content (the crawler
#: already leaves out images inside <noscript>, which a browser running scripts never loads)
_PX = r"TRY_CAST(regexp_extract(trim({}), '^\d+(\.\d+)?') AS DOUBLE) <= 1"
CONTENT_IMAGE = " AND ".join(
    f"NOT coalesce({_PX.format(side)}, false)" for side in ("i.width", "i.height")
)
PIXELS_LEFT_OUT = (
    "; images with a declared width or height of at most 1 px (tracking pixels, spacers) "
    "are left out"
)

sql_check(
    "image_missing_alt",
    Severity.warning,
    scope="<img> elements on "
    + HTML_PAGES
    + '; `url` is the page. alt="" (decorative) is fine'
    + PIXELS_LEFT_OUT,
    description="Images without an alt attribute.",
    fix="Alt text is what screen readers read and what image search understands. Describe "
    'informative images; give purely decorative ones an empty alt="".',
    sql=f"""
    SELECT i.page_url AS url,
           plural(count(DISTINCT i.src), 'image') || ' without alt: '
             || sample_text(list(DISTINCT i.src ORDER BY i.src)[1:5], count(DISTINCT i.src))
             AS detail,
           count(DISTINCT i.src) AS value
    FROM images i JOIN html_pages h ON h.url = i.page_url
    WHERE i.alt IS NULL AND {CONTENT_IMAGE}
    GROUP BY i.page_url
    """,
)

sql_check(
    "image_missing_size",
    Severity.notice,
    scope="<img> elements on " + HTML_PAGES + "; `url` is the page" + PIXELS_LEFT_OUT,
    description="Images without width and height attributes.",
    fix="Without declared dimensions the layout jumps while images load (Cumulative Layout "
    "Shift, a Core Web Vital). Add width and height attributes matching the image's ratio.",
    sql=f"""
    SELECT i.page_url AS url,
           plural(count(DISTINCT i.src), 'image') || ' without width/height: '
             || sample_text(list(DISTINCT i.src ORDER BY i.src)[1:5], count(DISTINCT i.src))
             AS detail,
           count(DISTINCT i.src) AS value
    FROM images i JOIN html_pages h ON h.url = i.page_url
    WHERE (nullif(trim(i.width), '') IS NULL OR nullif(trim(i.height), '') IS NULL)
      AND {CONTENT_IMAGE}
    GROUP BY i.page_url
    """,
)

sql_check(
    "large_image",
    Severity.notice,
    scope="images on crawled pages whose size the crawler fetched; `url` is the image",
    description="An image file is heavier than the threshold.",
    fix="Heavy images slow the page down (Largest Contentful Paint). Resize to the displayed "
    "size, compress, and serve WebP or AVIF with srcset.",
    thresholds=(Threshold("large_image", 100, "KB", "flag image files larger than this"),),
    sql="""
    SELECT p.url,
           printf('%.0f KB (limit %g KB); ', p.size / 1024, $large_image)
             || 'on ' || plural(r.n, 'page') || ': ' || sample_text(r.sample, r.n) AS detail,
           round(p.size / 1024, 1) AS value
    FROM pages p JOIN refs r USING (url)
    WHERE p.status = 200 AND p.size > $large_image * 1024
      AND p.url IN (SELECT src FROM images)
    """,
)
