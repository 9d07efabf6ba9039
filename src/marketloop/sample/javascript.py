"""A section of the sample site built by JavaScript (`SampleSite(javascript=True)`), for
`crawl --render js` and `bench crawl`: a catalogue whose main content and links exist only after
its scripts run.

    /app/                   served: an intro; the script adds a link to every item
    /app/item-N/            served: a shell; the script loads /app/data/item-N.json and sets
                            the title, meta description, main text and three related links

Only rendering finds the items (no served link points to them). Some items also carry what the
JavaScript checks look for, one kind each (N mod 10): 3 the script moves the canonical to
/app/, 5 the data is under /app/private/ (disallowed by robots.txt, so the page stays a
shell), 7 the script throws after building the page, 9 the served HTML says noindex and the
script removes it. Every item builds its content and title with scripts.
"""

from __future__ import annotations

import json

from marketloop.sample.model import Page, Site
from marketloop.sample.words import BRAND, Prose

HUB = "/app/"
PRIVATE = "/app/private/"
SHELL_TITLE = f"Catalogue | {BRAND}"

HUB_JS = b"""
(async () => {
  const items = await (await fetch("/app/data/items.json")).json();
  const list = document.createElement("ul");
  for (const [path, name] of items) {
    const a = document.createElement("a"); a.href = path; a.textContent = name;
    const li = document.createElement("li"); li.appendChild(a); list.appendChild(li);
  }
  document.querySelector("main article").appendChild(list);
})();
"""

ITEM_JS = b"""
(async () => {
  const source = new URL(document.currentScript.src).searchParams.get("data");
  const response = await fetch(source).catch(() => null);
  if (!response || !response.ok) return;  // e.g. disallowed by robots.txt: stays a shell
  const item = await response.json();
  document.title = item.title;
  const meta = document.createElement("meta");
  meta.name = "description"; meta.content = item.description;
  document.head.appendChild(meta);
  const article = document.querySelector("main article");
  article.querySelector("h1").textContent = item.name;
  for (const text of item.body) {
    const p = document.createElement("p"); p.textContent = text; article.appendChild(p);
  }
  for (const [path, name] of item.related) {
    const a = document.createElement("a"); a.href = path; a.textContent = name;
    article.appendChild(a);
  }
  if (item.canonical) document.querySelector("link[rel=canonical]").href = item.canonical;
  if (item.index) document.querySelector("meta[name=robots]").remove();
  if (item.broken) throw new Error("catalogue widget failed: " + item.name);
})();
"""


def add_javascript(site: Site, prose: Prose, items: int) -> None:
    """The catalogue: a hub linked from the home page and `items` script-linked items."""
    hub = site.add(
        Page(
            path=HUB,
            title=prose.claim(f"Product catalogue | {BRAND}"),
            description=prose.description("Product catalogue"),
            h1=["Product catalogue"],
            body=prose.paragraphs(120),
            scripts=["/static/catalogue.js"],
        )
    )
    site.pages["/"].links.append((hub.path, "Product catalogue"))
    site.disallow.append(PRIVATE)
    names = [prose.post_title() for _ in range(items)]
    paths = [f"{HUB}item-{n}/" for n in range(items)]
    site.files["/static/catalogue.js"] = ("text/javascript", HUB_JS)
    site.files["/static/item.js"] = ("text/javascript", ITEM_JS)
    listing = list(zip(paths, names, strict=True))
    site.files["/app/data/items.json"] = ("application/json", _json(listing))
    for n, (path, name) in enumerate(listing):
        data = f"{PRIVATE if n % 10 == 5 else '/app/data/'}item-{n}.json"
        site.add(
            Page(
                path=path,
                title=SHELL_TITLE,
                description=None,
                h1=["Loading the catalogue"],
                body=[],
                scripts=[f"/static/item.js?data={data}"],
                meta_robots="noindex" if n % 10 == 9 else None,
                in_sitemap=False,
            )
        )
        related = [(paths[(n + k) % items], names[(n + k) % items]) for k in (1, 2, 3)]
        item = {
            "title": f"{name} | {BRAND}",
            "name": name,
            "description": prose.description(name),
            "body": prose.paragraphs(prose.rng.randint(220, 320)),
            "related": related,
            "canonical": HUB if n % 10 == 3 else None,
            "index": n % 10 == 9,
            "broken": n % 10 == 7,
        }
        site.files[data] = ("application/json", _json(item))


def _json(value: object) -> bytes:
    return json.dumps(value).encode()
