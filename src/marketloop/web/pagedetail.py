"""One crawled page: its fields, issues, inlinks and outlinks with anchors, redirect hops,
headers and structured data — DuckDB over the crawl's Parquet files, one URL at a time."""

from __future__ import annotations

from typing import Any

from marketloop.crawl.dataset import CrawlDataset

LINKS_SHOWN = 200
HEADERS = ("content_type", "charset", "x_robots_tag", "canonical_header", "hsts",
           "content_security_policy", "x_content_type_options", "x_frame_options",
           "referrer_policy")  # fmt: skip
HOPS = 10


def page_detail(dataset: CrawlDataset, url: str) -> dict[str, Any] | None:
    con = dataset.connect()
    try:
        found = con.execute("SELECT * FROM pages WHERE url = ? LIMIT 1", [url])
        names = [d[0] for d in found.description or []]
        row = found.fetchone()
        if row is None:
            return None
        page = dict(zip(names, row, strict=True))
        links = (
            "SELECT {side}, anchor, kind, nofollow FROM links WHERE {key} = ? ORDER BY 1 LIMIT ?"
        )
        inlinks = con.execute(links.format(side="from_url", key="to_url"),
                              [url, LINKS_SHOWN]).fetchall()  # fmt: skip
        outlinks = con.execute(links.format(side="to_url", key="from_url"),
                               [url, LINKS_SHOWN]).fetchall()  # fmt: skip
        hops = _hops(con, url)
        issues_file = dataset.folder / "issues.parquet"
        issues = (
            con.execute(
                'SELECT "check", severity, detail FROM read_parquet(?) WHERE url = ? ORDER BY 2, 1',
                [str(issues_file), url],
            ).fetchall()
            if issues_file.is_file()
            else []
        )
    finally:
        con.close()
    return {
        "page": page, "inlinks": inlinks, "outlinks": outlinks, "hops": hops, "issues": issues,
        "headers": [(h, page.get(h)) for h in HEADERS if page.get(h)],
        "structured": {"types": page.get("jsonld_types") or [],
                       "errors": page.get("jsonld_errors") or []},
    }  # fmt: skip


def _hops(con: Any, url: str) -> list[tuple[str, int, str | None]]:
    """The redirect chain starting at `url` (bounded; stops at a loop)."""
    chain: list[tuple[str, int, str | None]] = []
    seen, current = set(), url
    while current and current not in seen and len(chain) < HOPS:
        seen.add(current)
        hop = con.execute("SELECT status, location FROM redirects WHERE url = ? LIMIT 1",
                          [current]).fetchone()  # fmt: skip
        if hop is None:
            break
        chain.append((current, hop[0], hop[1]))
        current = hop[1]
    return chain
