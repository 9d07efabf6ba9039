"""The sets of rows checks look at, in words (shown in docs/checks.md). `html_pages` and
`indexable_pages` are defined once, for every stage, in `crawl/dataset.py`; see `audit/views.py`."""

HTML_PAGES = (
    "internal URLs answering 200 with an HTML content type whose body arrived in full and "
    "parsed (`html_pages`)"
)
INDEXABLE = (
    "indexable pages: internal HTML pages answering 200, without noindex (meta robots or "
    "X-Robots-Tag), whose canonical is missing or points to themselves (`indexable_pages`)"
)
INTERNAL_URLS = "every internal URL the crawler decided about (pages, images, resources)"
LINKED_URLS = "internal URLs that some crawled page links to (any link kind or <img>)"
