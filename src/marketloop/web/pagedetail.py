"""One crawled page: its fields, issues, inlinks and outlinks with anchors, redirect hops,
headers, structured data and custom extractions — one URL looked up in the crawl's URL index
(audit/urlindex.py, built on the first lookup), plus its issues from the stored audit."""

from __future__ import annotations

from typing import Any

from marketloop.audit.urlindex import lookup, reader
from marketloop.crawl.dataset import CrawlDataset

LINKS_SHOWN = 200
HEADERS = ("content_type", "charset", "x_robots_tag", "canonical_header", "hsts",
           "content_security_policy", "x_content_type_options", "x_frame_options",
           "referrer_policy")  # fmt: skip


def page_detail(dataset: CrawlDataset, url: str) -> dict[str, Any] | None:
    found = lookup(dataset, url, limit=LINKS_SHOWN)
    if found is None:
        return None
    page = found.page
    return {
        "page": page, "inlinks": found.inlinks, "outlinks": found.outlinks, "hops": found.hops,
        "extracted": found.extracted,
        "issues": _issues(dataset, url),
        "headers": [(h, page.get(h)) for h in HEADERS if page.get(h)],
        "structured": {"types": page.get("jsonld_types") or [],
                       "errors": page.get("jsonld_errors") or []},
    }  # fmt: skip


def _issues(dataset: CrawlDataset, url: str) -> list[tuple[Any, ...]]:
    issues_file = dataset.folder / "issues.parquet"
    if not issues_file.is_file():
        return []
    con = reader()
    try:
        return con.execute(
            'SELECT "check", severity, detail FROM read_parquet(?) WHERE url = ? ORDER BY 2, 1',
            [str(issues_file), url],
        ).fetchall()
    finally:
        con.close()
