"""The crawl dataset: the contract between the crawler, the auditor, exports and the warehouse.

A crawl dataset is one folder, written in batches while the crawl runs and never rewritten:

    DIR/
      manifest.json            format, crawl id, start URL, settings, status, counts (see Manifest)
      pages/part-NNNNN.parquet one row per URL the crawler decided about (fetched, failed, blocked)
      links/part-NNNNN.parquet one row per link or resource reference found on an HTML page
      images/part-NNNNN.parquet one row per <img> on an HTML page (not inside <noscript>)
      redirects/part-NNNNN.parquet one row per 3xx response (one hop)
      sitemaps/part-NNNNN.parquet one row per sitemap file read
      sitemap_urls/part-NNNNN.parquet one row per <loc> in a urlset sitemap
      extractions/part-NNNNN.parquet one row per custom extraction rule and HTML page
      state/                   the crawler's resume state (not part of the contract)
      issues.parquet           written by `marketloop audit` (see audit/)

Every URL is absolute, normalised (lower-case scheme and host, default port dropped, fragment
removed, IDN hosts in punycode) and stored as fetched. Readers use DuckDB globs such as
`read_parquet('DIR/pages/*.parquet')`; `crawl.dataset.CrawlDataset` opens them as views.
"""

from __future__ import annotations

import pyarrow as pa

FORMAT_VERSION = 1

TABLES = ("pages", "links", "images", "redirects", "sitemaps", "sitemap_urls", "extractions")

_strings = pa.list_(pa.string())

PAGES = pa.schema(
    [
        ("url", pa.string()),  # the URL requested
        ("host", pa.string()),
        ("depth", pa.int32()),  # link hops from the start URL (sitemap-only URLs: null)
        # start | link | redirect | sitemap | canonical | hreflang | image
        ("found_via", pa.string()),
        ("is_internal", pa.bool_()),
        ("blocked_by_robots", pa.bool_()),  # true: not fetched (unless --ignore-robots)
        ("status", pa.int32()),  # HTTP status; null when there was no response
        # timeout | connection_refused | connection_reset | dns | too_large | ssl
        # | private_address | invalid_url | redirect_loop ...
        ("error", pa.string()),
        ("content_type", pa.string()),  # media type without parameters, lower case
        ("charset", pa.string()),
        ("size", pa.int64()),  # body bytes received (or Content-Length for HEAD requests)
        ("response_time_ms", pa.float64()),  # request start to full body
        ("fetched_at", pa.timestamp("ms", tz="UTC")),
        ("redirect_url", pa.string()),  # resolved Location of a 3xx
        ("x_robots_tag", pa.string()),
        ("canonical_header", pa.string()),  # rel=canonical from the Link header, resolved
        ("hsts", pa.string()),
        ("content_security_policy", pa.string()),
        ("x_content_type_options", pa.string()),
        ("x_frame_options", pa.string()),
        ("referrer_policy", pa.string()),
        # HTML only (null otherwise)
        ("titles", _strings),  # every <title> in the document, stripped
        ("meta_descriptions", _strings),
        ("meta_robots", pa.string()),  # <meta name=robots|googlebot>, comma-joined, lower case
        ("canonical", pa.string()),  # <link rel=canonical>, resolved (first one)
        ("canonical_count", pa.int32()),
        # <link rel=alternate hreflang>, then the Link header's (resolved)
        ("hreflang", pa.list_(pa.struct([("lang", pa.string()), ("url", pa.string())]))),
        ("h1", _strings),
        ("h2", _strings),
        ("h3", _strings),
        ("h4", _strings),
        ("h5", _strings),
        ("h6", _strings),
        ("word_count", pa.int32()),  # words of the main content (no nav/header/footer/aside)
        ("content_hash", pa.string()),  # hash of the normalised main text
        ("simhash", pa.uint64()),  # 64-bit SimHash of main-text shingles
        ("minhash", pa.list_(pa.uint64())),  # 256 one-bit MinHashes as 4 numbers (near duplicates)
        ("jsonld_types", _strings),  # @type values of the valid JSON-LD blocks
        ("jsonld_errors", _strings),  # one message per invalid JSON-LD block
        ("og", pa.map_(pa.string(), pa.string())),  # og:* properties
        ("lang", pa.string()),  # <html lang>
        ("outlinks_internal", pa.int32()),
        ("outlinks_external", pa.int32()),
        ("parse_error", pa.string()),  # set when the body could not be parsed as HTML
        # --render js (null without it): the HTML columns then describe the rendered DOM
        ("rendered", pa.bool_()),  # true: the columns above come from the rendered DOM
        ("render_error", pa.string()),  # timeout, crash ... (the DOM taken so far is parsed)
        ("js_errors", _strings),  # uncaught script exceptions on the page
        # "url (reason)" of subrequests blocked (third_party, robots, private_address, ...) or
        # failed (`failed: timeout`, `HTTP 404`)
        ("blocked_requests", _strings),
        # the same page as the server sent it, before scripts ran (rendered pages only)
        ("raw_titles", _strings),
        ("raw_meta_descriptions", _strings),
        ("raw_meta_robots", pa.string()),
        ("raw_canonical", pa.string()),
        ("raw_word_count", pa.int32()),
        ("raw_outlinks_internal", pa.int32()),
        ("raw_h1", _strings),
    ]
)

LINKS = pa.schema(
    [
        ("from_url", pa.string()),
        ("to_url", pa.string()),  # resolved, normalised
        ("kind", pa.string()),  # a | script | stylesheet | iframe | media | form
        ("anchor", pa.string()),  # text, else aria-label, else title, else an inner img alt
        ("rel", pa.string()),
        ("nofollow", pa.bool_()),  # rel, or nofollow/none in meta robots or X-Robots-Tag
        ("is_internal", pa.bool_()),
        ("in_main", pa.bool_()),  # false inside nav/header/footer/aside
        ("original_url", pa.string()),  # to_url before URL rewriting, when a rule changed it
    ]
)

IMAGES = pa.schema(
    [
        ("page_url", pa.string()),
        ("src", pa.string()),  # resolved, normalised
        ("alt", pa.string()),  # null: no alt attribute; "": empty alt (decorative)
        ("width", pa.string()),
        ("height", pa.string()),
        ("is_internal", pa.bool_()),
    ]
)

REDIRECTS = pa.schema(
    [
        ("url", pa.string()),
        ("status", pa.int32()),
        ("location", pa.string()),  # resolved; null when the Location header is missing
        ("is_internal", pa.bool_()),  # whether location is internal
    ]
)

SITEMAPS = pa.schema(
    [
        ("sitemap_url", pa.string()),
        ("kind", pa.string()),  # urlset | sitemapindex | invalid
        ("found_via", pa.string()),  # robots | default | index
        ("status", pa.int32()),
        ("url_count", pa.int64()),
        ("size", pa.int64()),  # uncompressed bytes
        ("error", pa.string()),
    ]
)

SITEMAP_URLS = pa.schema(
    [
        ("sitemap_url", pa.string()),
        ("url", pa.string()),
        ("lastmod", pa.string()),
        # the entry's <xhtml:link rel="alternate" hreflang> alternates (resolved)
        ("hreflang", pa.list_(pa.struct([("lang", pa.string()), ("url", pa.string())]))),
    ]
)

EXTRACTIONS = pa.schema(
    [
        ("page_url", pa.string()),
        ("name", pa.string()),  # the rule's name ([[crawl.extract]])
        ("values", _strings),  # first: at most one; all: every value (capped); count: empty
        ("matches", pa.int32()),  # values matched on the page, whatever the mode
    ]
)

#: columns added to the format without a version change: a dataset written before them reads
#: them as null (`CrawlDataset.connect`), and the auditor does not require them
ADDED_COLUMNS: dict[str, frozenset[str]] = {
    "pages": frozenset(
        {
            "rendered",
            "render_error",
            "js_errors",
            "blocked_requests",
            "raw_titles",
            "raw_meta_descriptions",
            "raw_meta_robots",
            "raw_canonical",
            "raw_word_count",
            "raw_outlinks_internal",
            "raw_h1",
        }
    ),
    "links": frozenset({"original_url"}),
    "sitemap_urls": frozenset({"hreflang"}),
}

SCHEMAS: dict[str, pa.Schema] = {
    "pages": PAGES,
    "links": LINKS,
    "images": IMAGES,
    "redirects": REDIRECTS,
    "sitemaps": SITEMAPS,
    "sitemap_urls": SITEMAP_URLS,
    "extractions": EXTRACTIONS,
}
