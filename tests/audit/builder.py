"""Hand-made crawl datasets for the auditor's tests, in the crawl contract's schemas.

`Site.clean()` is a small, faultless site on https://example.com: five pages that link to
each other with descriptive anchors, one image, one sitemap, an hreflang pair and an http→https
redirect of the start URL. It raises no issue at all. Each test case applies a few operations
(`Site.apply`, the vocabulary of cases/checks.yaml) to plant one defect, or its clean twin.

    site = Site.clean()
    site.apply([{"page": {"url": "/pricing", "titles": []}}])
    folder = site.write(tmp_path / "crawl")
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import SCHEMAS

BASE = "https://example.com"
FETCHED_AT = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


#: the columns a rendered page also keeps as served (`raw_<column>`)
RAW_COLUMNS = (
    "titles",
    "meta_descriptions",
    "meta_robots",
    "canonical",
    "word_count",
    "outlinks_internal",
    "h1",
)


def url(path: str) -> str:
    return path if "://" in path else BASE + path


def absolute(key: str, value: Any) -> Any:
    """Make the URL-valued fields of a row absolute: canonical, redirect_url, hreflang."""
    if key in {"canonical", "raw_canonical", "canonical_header", "redirect_url"} and value:
        return url(value)
    if key == "hreflang" and value:
        return [{"lang": a["lang"], "url": url(a["url"])} for a in value]
    return value


def fingerprint(text: str, bits: int = 64) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[: bits // 8], "big")


def clean_page(address: str, **fields: Any) -> dict[str, Any]:
    """A page that passes every check; `fields` override (paths become absolute URLs)."""
    full = url(address)
    slug = full.rstrip("/").rsplit("/", 1)[-1] or "home"
    page: dict[str, Any] = {
        "url": full,
        "host": full.split("/")[2],
        "depth": 1,
        "found_via": "link",
        "is_internal": True,
        "blocked_by_robots": False,
        "status": 200,
        "content_type": "text/html",
        "charset": "utf-8",
        "size": 24_000,
        "response_time_ms": 180.0,
        "fetched_at": FETCHED_AT,
        "hsts": "max-age=63072000; includeSubDomains" if full.startswith("https:") else None,
        "content_security_policy": "default-src 'self'",
        "x_content_type_options": "nosniff",
        "x_frame_options": "DENY",
        "referrer_policy": "strict-origin-when-cross-origin",
        "titles": [f"Acme {slug.title()}: the guide for growing teams"],
        "meta_descriptions": [
            f"Everything about {slug} at Acme: plans, examples and answers for teams that "
            "want to grow with less effort."
        ],
        "canonical": full,
        "canonical_count": 1,
        "hreflang": [],
        "h1": [f"Acme {slug}"],
        "h2": ["Why it matters", "How it works"],
        "word_count": 640,
        "content_hash": hashlib.sha1(full.encode()).hexdigest(),
        "simhash": fingerprint(full),
        "minhash": [fingerprint(f"{full}#{word}") for word in range(4)],
        "jsonld_types": ["WebPage"],
        "jsonld_errors": [],
        "og": {"og:title": slug},
        "lang": "en",
        "outlinks_internal": 4,
        "outlinks_external": 0,
    }
    page.update(
        {k: url(v) if k in {"canonical", "redirect_url"} and v else v for k, v in fields.items()}
    )
    return page


@dataclass
class Site:
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in SCHEMAS}
    )
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def clean(cls) -> Site:
        site = cls(manifest={"start_url": "http://example.com/"})
        site.redirect("http://example.com/", "/", found_via="start", depth=0)
        site.page(
            url="/",
            found_via="redirect",
            depth=0,
            titles=["Acme: marketing automation for growing teams"],
        )
        for path in ("/pricing", "/blog", "/de/preise"):
            site.page(url=path)
        site.page(url="/blog/first-post", depth=2)
        site.set_hreflang("/pricing", "/de/preise")
        pages = [p["url"] for p in site.tables["pages"] if p["status"] == 200]
        for source in pages:
            for target in pages:
                if source != target:
                    slug = target.rstrip("/").rsplit("/", 1)[-1] or "home"
                    site.link(**{"from": source, "to": target, "anchor": f"Acme {slug} overview"})
            site.link(**{"from": source, "to": "/style.css", "kind": "stylesheet", "anchor": None})
        site.page(
            url="/img/hero.png",
            content_type="image/png",
            found_via="image",
            size=48_000,
            titles=None,
            meta_descriptions=None,
            h1=None,
            canonical=None,
        )
        site.image(page="/", src="/img/hero.png", alt="Team dashboard", width="1200", height="630")
        site.sitemap(sitemap_url="/sitemap.xml", url_count=len(pages), size=1_200)
        for address in pages:
            site.sitemap_url(url=address)
        return site

    # --- the operations of cases/checks.yaml -------------------------------------------------

    def apply(self, operations: Iterable[Mapping[str, Any]]) -> Site:
        for operation in operations:
            ((name, arguments),) = operation.items()
            if isinstance(arguments, Mapping):
                getattr(self, name)(**arguments)
            else:
                getattr(self, name)(arguments)
        return self

    def page(self, **fields: Any) -> None:
        """Update the page at `url`, or add a clean one with these fields."""
        address = url(fields.pop("url"))
        for row in self.tables["pages"]:
            if row["url"] == address:
                row.update({key: absolute(key, value) for key, value in fields.items()})
                return
        self.tables["pages"].append(clean_page(address, **fields))

    def rendered(self, **fields: Any) -> None:
        """Make the page at `url` rendered (a crawl with --render js) and served exactly as
        rendered (its `raw_*` columns copy the rendered ones); then `fields` change either."""
        address = url(fields.pop("url"))
        row = next(r for r in self.tables["pages"] if r["url"] == address)
        row.update(rendered=True, render_error=None, js_errors=[], blocked_requests=[])
        for column in RAW_COLUMNS:
            row[f"raw_{column}"] = row.get(column)
        row.update({key: absolute(key, value) for key, value in fields.items()})
        self.manifest.setdefault("settings", {})["render"] = "js"

    def remove(self, address: str) -> None:
        self.tables["pages"] = [p for p in self.tables["pages"] if p["url"] != url(address)]

    def link(self, **fields: Any) -> None:
        self.tables["links"].append(
            {
                "from_url": url(fields.pop("from")),
                "to_url": url(fields.pop("to")),
                "kind": fields.pop("kind", "a"),
                "anchor": fields.pop("anchor", "Acme product overview"),
                "rel": None,
                "nofollow": False,
                "is_internal": True,
                "in_main": True,
                **fields,
            }
        )

    def unlink(self, **where: str) -> None:
        source, target = where.get("from"), where.get("to")
        self.tables["links"] = [
            link
            for link in self.tables["links"]
            if not (
                (source is None or link["from_url"] == url(source))
                and (target is None or link["to_url"] == url(target))
            )
        ]

    def image(self, **fields: Any) -> None:
        row = {
            "page_url": url(fields.pop("page")),
            "src": url(fields.pop("src")),
            "is_internal": True,
            "alt": "An image",
            "width": "640",
            "height": "480",
        }
        self.tables["images"].append({**row, **fields})

    def redirect(self, source: str, target: str | None, status: int = 301, **fields: Any) -> None:
        location = url(target) if target else None
        self.tables["redirects"].append(
            {"url": url(source), "status": status, "location": location, "is_internal": True}
        )
        self.page(
            url=source,
            status=status,
            redirect_url=location,
            content_type="text/html",
            titles=None,
            meta_descriptions=None,
            h1=None,
            canonical=None,
            word_count=None,
            **fields,
        )

    def set_hreflang(self, first: str, second: str) -> None:
        pair = [{"lang": "en", "url": url(first)}, {"lang": "de", "url": url(second)}]
        self.page(url=first, hreflang=pair)
        self.page(url=second, hreflang=pair, lang="de")

    def sitemap(self, **fields: Any) -> None:
        row = {
            "sitemap_url": url(fields.pop("sitemap_url")),
            "kind": "urlset",
            "found_via": "robots",
            "status": 200,
            "url_count": 5,
            "size": 1_000,
        }
        self.tables["sitemaps"].append({**row, **fields})

    def sitemap_url(self, **fields: Any) -> None:
        sitemap = url(fields.pop("sitemap_url", "/sitemap.xml"))
        self.tables["sitemap_urls"].append({"sitemap_url": sitemap, "url": url(fields["url"])})

    def extraction(self, page: str, name: str, values: list[str], matches: int) -> None:
        """One custom extraction row (`[[crawl.extract]]` rule `name` on `page`)."""
        row = {"page_url": url(page), "name": name, "values": values, "matches": matches}
        self.tables["extractions"].append(row)

    def manifest_fields(self, **fields: Any) -> None:
        self.manifest.update(fields)

    # --- writing ---------------------------------------------------------------------------

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in self.tables.items():
            if rows:
                (folder / name).mkdir(exist_ok=True)
                table = pa.Table.from_pylist(rows, schema=SCHEMAS[name])
                pq.write_table(table, folder / name / "part-00000.parquet")
        fields = {
            "crawl_id": folder.name,
            "start_url": BASE + "/",
            "status": "finished",
            "started_at": FETCHED_AT,
            "finished_at": FETCHED_AT,
            "counts": {name: len(rows) for name, rows in self.tables.items()},
        }
        Manifest(**{**fields, **self.manifest}).write(folder)
        return folder
