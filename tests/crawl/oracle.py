"""A reference reading of every audit check of issue 2 over a crawl dataset (test oracle).

It pins the conventions the sample site's ground truth follows (docs/crawl.md, "Ground truth
conventions"), so a crawl of the sample site can be checked against `RunningSite.defects`:
content checks look at internal HTML pages answering 2xx; `url` is the page, the link target
(3xx/4xx/5xx), the first URL of a redirect chain, the image for `large_image`, the sitemap for
`sitemap_over_limit`. It is deliberately plain Python over query results, not the auditor.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from marketloop.crawl.dataset import CrawlDataset

SECURITY = ("hsts", "content_security_policy", "x_content_type_options", "x_frame_options",
            "referrer_policy")  # fmt: skip
VAGUE_ANCHORS = {"click here", "here", "read more", "more", "learn more", "link", "this page"}
SOFT_404 = re.compile(r"not found|\b404\b|no longer (exists|available)|does(n't| not) exist", re.I)


def issues(dataset: CrawlDataset) -> set[tuple[str, str]]:
    pages = {p["url"]: p for p in dataset.query("SELECT * FROM pages")}
    links = dataset.query("SELECT * FROM links WHERE is_internal")
    images = dataset.query("SELECT * FROM images")
    in_sitemaps = {r["url"] for r in dataset.query("SELECT DISTINCT url FROM sitemap_urls")}
    sitemaps = dataset.query("SELECT * FROM sitemaps")
    html = {u: p for u, p in pages.items() if _is_html_ok(p)}
    found: set[tuple[str, str]] = set()

    def flag(check: str, urls: Any) -> None:
        found.update((check, u) for u in urls)

    linked = {link["to_url"] for link in links if link["kind"] == "a"}
    flag("server_error", [u for u, p in pages.items() if (p["status"] or 0) >= 500])
    flag("broken_link", [u for u in linked if 400 <= (pages.get(u, {}).get("status") or 0) < 500])
    flag("redirect", [u for u in linked if 300 <= (pages.get(u, {}).get("status") or 0) < 400])
    flag("no_response", [u for u, p in pages.items() if _no_response(p)])
    flag("blocked_by_robots", [u for u, p in pages.items() if p["blocked_by_robots"]])
    for start, hops, loops in _chains(pages):
        if loops:
            flag("redirect_loop", [start])
        elif hops >= 2:
            flag("redirect_chain", [start])
    flag(
        "sitemap_over_limit",
        [
            s["sitemap_url"]
            for s in sitemaps
            if (s["url_count"] or 0) > 50_000 or (s["size"] or 0) > 50 * 2**20
        ],
    )
    flag(
        "non_indexable_in_sitemap",
        [u for u in in_sitemaps if u in pages and not _indexable(pages[u])],
    )
    inlinks = Counter(
        link["to_url"]
        for link in links
        if link["kind"] == "a" and link["from_url"] != link["to_url"]
    )
    flag("orphan_page", [u for u in in_sitemaps if u in html and not inlinks[u]])
    flag(
        "large_image",
        [
            u
            for u, p in pages.items()
            if (p["content_type"] or "").startswith("image/") and (p["size"] or 0) > 100 * 1024
        ],
    )
    _content_checks(html, pages, flag)
    _link_and_image_checks(html, links, images, flag)
    return found


def _content_checks(html: dict[str, Any], pages: dict[str, Any], flag: Any) -> None:
    indexable = {u: p for u, p in html.items() if _indexable(p)}
    for url, p in html.items():
        title = (p["titles"] or [""])[0]
        description = (p["meta_descriptions"] or [""])[0]
        robots = f"{p['meta_robots'] or ''} {p['x_robots_tag'] or ''}".lower()
        canonical = p["canonical"] or p["canonical_header"]
        checks = {
            "missing_title": not title,
            "title_too_long": len(title) > 60,
            "title_too_short": 0 < len(title) < 30,
            "missing_meta_description": not description,
            "meta_description_length": bool(description) and not 70 <= len(description) <= 155,
            "missing_h1": not p["h1"],
            "multiple_h1": len(p["h1"] or []) > 1,
            "noindex": "noindex" in robots,
            "missing_canonical": canonical is None,
            "canonicalised": canonical is not None and canonical != url,
            "canonical_to_non_indexable": canonical is not None
            and canonical != url
            and canonical in pages
            and not _indexable(pages[canonical]),
            "insecure_http": url.startswith("http://"),
            "invalid_structured_data": bool(p["jsonld_errors"]),
            "no_internal_outlinks": not p["outlinks_internal"],
            "slow_response": (p["response_time_ms"] or 0) > 1000,
            "low_content": (p["word_count"] or 0) < 200,
            "deep_page": p["depth"] is not None and p["depth"] >= 4,
            "soft_404": bool(
                SOFT_404.search(title) or any(SOFT_404.search(h) for h in p["h1"] or [])
            ),
            "missing_security_headers": any(p[h] is None for h in SECURITY),
            "url_hygiene": len(url) > 115
            or bool(re.search(r"[A-Z_ ]|%20|\?", url.split("/", 3)[-1])),
            "hreflang_broken": _hreflang_broken(url, p, pages),
        }
        flag_all = [check for check, hit in checks.items() if hit]
        for check in flag_all:
            flag(check, [url])
    for check, key in (
        ("duplicate_title", "titles"),
        ("duplicate_meta_description", "meta_descriptions"),
    ):
        groups = defaultdict(list)
        for url, p in indexable.items():
            if p[key]:
                groups[p[key][0]].append(url)
        flag(check, [u for group in groups.values() if len(group) > 1 for u in group])
    by_hash = defaultdict(list)
    for url, p in indexable.items():
        if p["content_hash"]:
            by_hash[p["content_hash"]].append(url)
    flag("duplicate_content", [u for group in by_hash.values() if len(group) > 1 for u in group])
    items = [(u, p) for u, p in indexable.items() if p["minhash"] is not None]
    for i, (a, pa) in enumerate(items):
        for b, pb in items[i + 1 :]:
            bits = sum(
                (x ^ y).bit_count() for x, y in zip(pa["minhash"], pb["minhash"], strict=True)
            )
            close = bits <= 54  # of 256: >= 90 % of the words in common (audit/simhash.py)
            if close and pa["content_hash"] != pb["content_hash"]:
                flag("near_duplicate", [a, b])


def _link_and_image_checks(
    html: dict[str, Any], links: list[Any], images: list[Any], flag: Any
) -> None:
    for link in links:
        vague = (link["anchor"] or "").strip().lower() in VAGUE_ANCHORS
        if link["kind"] == "a" and link["from_url"] in html and vague:
            flag("non_descriptive_anchor", [link["from_url"]])
        insecure = (
            link["to_url"].startswith("http://") and link["kind"] != "a" and link["kind"] != "form"
        )
        if insecure and link["from_url"].startswith("https://") and link["from_url"] in html:
            flag("mixed_content", [link["from_url"]])
    for image in images:
        if image["page_url"] in html:
            if image["alt"] is None:
                flag("image_missing_alt", [image["page_url"]])
            if image["width"] is None or image["height"] is None:
                flag("image_missing_size", [image["page_url"]])


def _is_html_ok(p: dict[str, Any]) -> bool:
    ok = p["is_internal"] and 200 <= (p["status"] or 0) < 300
    return bool(
        ok and p["content_type"] in ("text/html", "application/xhtml+xml") and not p["parse_error"]
    )


def _indexable(p: dict[str, Any]) -> bool:
    if not _is_html_ok(p):
        return False
    robots = f"{p['meta_robots'] or ''} {p['x_robots_tag'] or ''}".lower()
    canonical = p["canonical"] or p["canonical_header"]
    return "noindex" not in robots and (canonical is None or canonical == p["url"])


def _no_response(p: dict[str, Any]) -> bool:
    return (
        p["status"] is None
        and not p["blocked_by_robots"]
        and p["error"] not in ("private_address", "invalid_url")
    )


def _chains(pages: dict[str, Any]) -> list[tuple[str, int, bool]]:
    """(first URL, hops, loops) for every redirect chain entered other than by a redirect."""
    chains = []
    for url, p in pages.items():
        if not 300 <= (p["status"] or 0) < 400 or p["found_via"] == "redirect":
            continue
        seen, current, hops = {url}, p["redirect_url"], 1
        while current in pages and 300 <= (pages[current]["status"] or 0) < 400:
            if current in seen:
                break
            seen.add(current)
            current, hops = pages[current]["redirect_url"], hops + 1
        loops = current in seen or any(
            pages[u]["error"] in ("redirect_loop", "too_many_redirects") for u in seen
        )
        chains.append((url, hops, loops))
    return chains


def _hreflang_broken(url: str, p: dict[str, Any], pages: dict[str, Any]) -> bool:
    for entry in p["hreflang"] or []:
        target = entry["url"]
        if target == url:
            continue
        other = pages.get(target)
        if other is None or not 200 <= (other["status"] or 0) < 300:
            return True
        if url not in {e["url"] for e in other["hreflang"] or []}:
            return True
    return False
