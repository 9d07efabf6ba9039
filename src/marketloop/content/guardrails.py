"""Guardrails on drafts: pure checks of a Markdown draft against its brief.

    checks = check_draft(markdown, brief, banned=[...], known_urls={...})

- `terms`: every primary and secondary term at least `min_count` times, at most `max_count`;
- `length`: words within the brief's range;
- `banned_phrases`: none of the configured phrases;
- `claims`: statistics, percentages and superlatives ("#1", "the best", "guaranteed",
  "studies show") only with a link or a named source within `claim_window` characters; a
  match overlapping the cluster name or a brief term ("the best crm software") is exempt;
- `links`: every internal link points at a page the crawl knows (or, without a crawl, at one of
  the brief's internal links); brief links left out are reported, not failed. Relative links
  resolve against the site; both sides compare without scheme, `www.`, fragment or trailing
  slash (`keywords.serp.normalise_url`), and any link to the site's host is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from marketloop.content.brief import Brief
from marketloop.content.text import count_phrase, markdown_links, visible_text, words
from marketloop.keywords.serp import normalise_url

CLAIM_PATTERNS = (
    r"\b\d+(?:[.,]\d+)?\s?%",
    r"\b\d+(?:\.\d+)?\s?(?:x|times)\s+(?:more|faster|better|higher|cheaper)\b",
    r"#\s?1\b",
    r"\bnumber one\b",
    r"\bthe best\b",
    r"\bthe (?:leading|fastest|cheapest|only)\b",
    r"\bguarantee(?:d|s)?\b",
    r"\b(?:studies|research|experts|data) (?:show|shows|prove|proves|suggest|suggests)\b",
    r"\bproven\b",
    r"\bworld'?s (?:first|best|leading)\b",
)
_CLAIM = re.compile("|".join(CLAIM_PATTERNS), re.I)
_SOURCE = re.compile(r"\]\(https?://|https?://\S+|\baccording to\b|\bsource:", re.I)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    findings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_draft(
    markdown: str,
    brief: Brief,
    *,
    banned: Iterable[str],
    known_urls: set[str] | None = None,
    claim_window: int = 160,
) -> list[Check]:
    return [
        check_terms(markdown, brief),
        check_length(markdown, brief),
        check_banned(markdown, banned),
        check_claims(markdown, claim_window, exempt=brief_phrases(brief)),
        check_links(markdown, brief, known_urls),
    ]


def check_terms(markdown: str, brief: Brief) -> Check:
    text = visible_text(markdown)
    findings = []
    for target in [*brief.primary_terms, *brief.secondary_terms]:
        found = count_phrase(text, target.term)
        if found < target.min_count:
            findings.append(f'"{target.term}" {found}× (at least {target.min_count})')
        elif target.max_count is not None and found > target.max_count:
            findings.append(f'"{target.term}" {found}× (at most {target.max_count})')
    total = len(brief.primary_terms) + len(brief.secondary_terms)
    return Check(
        "terms", not findings, f"{total - len(findings)}/{total} terms on target", findings
    )


def check_length(markdown: str, brief: Brief) -> Check:
    count = len(words(visible_text(markdown)))
    low, high = brief.word_count_min, brief.word_count_max
    return Check("length", low <= count <= high, f"{count} words (range {low}–{high})")


def check_banned(markdown: str, banned: Iterable[str]) -> Check:
    text = visible_text(markdown)
    findings = [f'"{p}" {n}×' for p in banned if (n := count_phrase(text, p))]
    return Check("banned_phrases", not findings, f"{len(findings)} banned phrases", findings)


def brief_phrases(brief: Brief) -> list[str]:
    """The cluster name and the terms the brief asks for: a claim word inside one of them
    ("the best crm software" when "best crm software" is a required term) is the search
    query, not a claim."""
    return [brief.cluster, *(t.term for t in [*brief.primary_terms, *brief.secondary_terms])]


def check_claims(markdown: str, window: int = 160, exempt: Iterable[str] = ()) -> Check:
    findings = []
    spans = _phrase_spans(markdown, exempt)
    for match in _CLAIM.finditer(markdown):
        if any(match.start() < stop and start < match.end() for start, stop in spans):
            continue
        start, end = max(0, match.start() - window), match.end() + window
        if not _SOURCE.search(markdown[start:end]):
            line = markdown.count("\n", 0, match.start()) + 1
            findings.append(f'"{match.group(0)}" on line {line} without a source nearby')
    return Check("claims", not findings, f"{len(findings)} unsupported claims", findings)


def _phrase_spans(markdown: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in phrases:
        parts = [re.escape(p) for p in phrase.split()]
        if parts:
            pattern = re.compile(r"\b" + r"[\s-]+".join(parts) + r"\b", re.I)
            spans += [(m.start(), m.end()) for m in pattern.finditer(markdown)]
    return spans


def check_links(markdown: str, brief: Brief, known_urls: set[str] | None) -> Check:
    planned = {link.url for link in brief.internal_links}
    known = known_urls if known_urls else planned
    site = SiteUrls(known | planned)
    used = [site.resolve(url) for _, url in markdown_links(markdown) if not url.startswith("#")]
    internal = [u for u in used if site.is_internal(u)]
    broken = site.unknown(internal, known)
    used_keys = {normalise_url(u) for u in internal}
    missing = sorted(u for u in planned if normalise_url(u) not in used_keys)
    findings = [f"{u} is not a known page" for u in broken]
    detail = f"{len(internal) - len(broken)}/{len(internal)} internal links valid"
    if missing:
        detail += f"; {len(missing)} brief links not used"
    return Check("links", not broken, detail, findings + [f"not used: {u}" for u in missing])


class SiteUrls:
    """The site's hosts and root, so links compare the way a browser would resolve them.

    Relative links resolve against the site root; both sides are compared by
    `normalise_url` (no scheme, no `www.`, no fragment, no trailing slash), so
    `/pricing`, `http://www.acme.com/pricing/` and `https://acme.com/pricing#plans` are one
    page, and `https://www.acme.com/nope` is internal (and checked).
    """

    def __init__(self, site_urls: Iterable[str]) -> None:
        absolute = sorted(u for u in site_urls if urlsplit(u).netloc)
        self.hosts = {_host(u) for u in absolute}
        first = urlsplit(absolute[0]) if absolute else None
        self.root = f"{first.scheme or 'https'}://{first.netloc}/" if first else ""

    def resolve(self, url: str) -> str:
        return urljoin(self.root, url.strip()) if self.root else url.strip()

    def is_internal(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("", "http", "https"):
            return False
        return not parts.netloc or _host(url) in self.hosts

    def unknown(self, urls: Iterable[str], known: Iterable[str]) -> list[str]:
        keys = {normalise_url(u) for u in known}
        return [u for u in urls if normalise_url(self.resolve(u)) not in keys]


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")
